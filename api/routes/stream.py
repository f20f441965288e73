"""Server-Sent Events: every screen gets the whole zone list on each change.

The event bytes are built once per state version and written as-is to every
client: fan-out to a thousand screens costs one serialisation, not a thousand.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter
from starlette.responses import StreamingResponse

from api.changes import Changes
from api.deps import ChangesDep, LiveDep
from api.live import LiveState, Snapshot
from api.routes.desks import desks_body
from api.routes.zones import zones_body

router = APIRouter(prefix="/stream", tags=["stream"])

RETRY_MS = 1000  # how long a browser waits before reconnecting after the stream drops
KEEPALIVE_S = 15.0  # a comment line keeps proxies from closing an idle stream
_KEEPALIVE = b": keepalive\n\n"


class EventStream(StreamingResponse):
    media_type = "text/event-stream"


def event_bytes(snap: Snapshot) -> bytes:
    """A `desks` event, then a `zones` event: the screen redraws on the latter."""
    return snap.encoded("sse", lambda: (
        b"event: desks\ndata: %s\n\nevent: zones\nid: %d\nretry: %d\ndata: %s\n\n"
        % (desks_body(snap), snap.version, RETRY_MS, zones_body(snap))))


async def events(live: LiveState, changes: Changes) -> AsyncIterator[bytes]:
    """Yield the current zones, then again after each change, until the server stops."""
    sent = -1
    while not changes.closed:
        wake = changes.current()  # before reading the state, so no change slips by
        snap = live.snapshot()
        if snap.version != sent:
            sent = snap.version
            yield event_bytes(snap)
        try:
            async with asyncio.timeout(KEEPALIVE_S):
                await wake.wait()
        except TimeoutError:
            yield _KEEPALIVE


_EXAMPLE = ('event: desks\ndata: {"live":true,"count":8,"data":[...]}\n\n'
            'event: zones\nid: 42\nretry: 1000\ndata: {"live":true,"count":7,"data":[...]}\n\n')


@router.get("", response_class=EventStream,
            summary="Live state as Server-Sent Events (events `desks` and `zones`)",
            responses={200: {"description": "an endless event stream; on each change a `desks` "
                                            "and a `zones` event whose data are the bodies "
                                            "GET /api/v1/desks and GET /api/v1/zones return",
                             "content": {"text/event-stream": {"schema": {"type": "string"},
                                                               "example": _EXAMPLE}}},
                       # The rate limit answers in JSON, not as an event stream.
                       429: {"description": "too many requests from this client; see "
                                            "Retry-After",
                             "content": {"application/json": {
                                 "schema": {"$ref": "#/components/schemas/Message"}}}}})
async def stream(live: LiveDep, changes: ChangesDep) -> EventStream:
    """Send the current zones at once, then again after every change."""
    return EventStream(events(live, changes),
                       headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
