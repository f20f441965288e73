"""Server-Sent Events: every screen gets the whole zone list on each change."""

from __future__ import annotations

from collections.abc import AsyncIterable

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api.deps import ChangesDep, LiveDep
from api.routes.zones import zones_body

router = APIRouter(prefix="/api/v1/stream", tags=["stream"])

# How long a browser waits before reconnecting after the stream drops.
RETRY_MS = 1000


@router.get("", response_class=EventSourceResponse,
            summary="Live zone state as Server-Sent Events (event `zones`)")
async def stream(live: LiveDep, changes: ChangesDep) -> AsyncIterable[ServerSentEvent]:
    """Send the current zones at once, then again after every change.

    Each event's data is the body `GET /api/v1/zones` would return at that moment.
    """
    sent = -1
    while not changes.closed:
        wake = changes.current()
        snap = live.snapshot()
        if snap.version != sent:
            sent = snap.version
            yield ServerSentEvent(raw_data=zones_body(snap).decode(), event="zones",
                                  id=str(sent), retry=RETRY_MS)
        await wake.wait()
