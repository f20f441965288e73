"""Zones as the screen shows them: live state, or *unknown* when it is not known."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

from api.deps import LiveDep
from api.live import Snapshot
from api.models import Message, ZonesPublic
from hubsense.layout import ID_PATTERN
from hubsense.state import ZoneState

router = APIRouter(prefix="/api/v1/zones", tags=["zones"])

JSON = "application/json"


def zones_body(snap: Snapshot) -> bytes:
    return snap.encoded("zones", lambda: ZonesPublic(
        live=snap.live, count=len(snap.zones), data=list(snap.zones)).model_dump_json().encode())


@router.get("", response_model=ZonesPublic, summary="Every zone's live state")
def list_zones(live: LiveDep) -> Response:
    """Serve the cached encoding of the current snapshot: no per-request work."""
    return Response(zones_body(live.snapshot()), media_type=JSON)


@router.get("/{zone_id}", response_model=ZoneState, summary="One zone's live state",
            responses={404: {"model": Message, "description": "no such zone"}})
def get_zone(live: LiveDep,
             zone_id: Annotated[str, Path(pattern=ID_PATTERN, examples=["quiet"])]) -> ZoneState:
    """Return one zone; 404 names the id that is not in the layout."""
    for zone in live.snapshot().zones:
        if zone.id == zone_id:
            return zone
    raise HTTPException(404, f"no zone '{zone_id}' in this site")
