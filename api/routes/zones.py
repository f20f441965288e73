"""Zones as the screen shows them: live state, or *unknown* when it is not known."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response

from api.deps import LiveDep, get_live
from api.live import Snapshot
from api.models import ZONE_EXAMPLE, Message, ZonesPublic
from hubsense.layout import ID_PATTERN
from hubsense.state import ZoneState

router = APIRouter(prefix="/zones", tags=["zones"])

JSON = "application/json"


def zones_body(snap: Snapshot) -> bytes:
    return snap.encoded("zones", lambda: ZonesPublic(
        live=snap.live, broker=snap.broker, collector=snap.collector, count=len(snap.zones),
        data=list(snap.zones), suggestions=snap.suggestions).model_dump_json().encode())


@router.get("", response_model=ZonesPublic, summary="Every zone's live state")
async def list_zones(request: Request) -> Response:
    """Serve the cached encoding of the current snapshot: no per-request work.

    The hottest route: it reads the state off the app directly (no dependency
    resolution) and copies bytes serialised once per state change.
    """
    return Response(zones_body(get_live(request).snapshot()), media_type=JSON)


@router.get("/{zone_id}", response_model=ZoneState, summary="One zone's live state",
            responses={200: {"content": {JSON: {"example": ZONE_EXAMPLE}}},
                       404: {"model": Message, "description": "no such zone"}})
def get_zone(live: LiveDep,
             zone_id: Annotated[str, Path(pattern=ID_PATTERN, examples=["quiet"])]) -> ZoneState:
    """Return one zone; 404 names the id that is not in the layout."""
    for zone in live.snapshot().zones:
        if zone.id == zone_id:
            return zone
    raise HTTPException(404, f"no zone '{zone_id}' in this site")
