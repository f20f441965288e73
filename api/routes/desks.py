"""Desks and whether each is free now: current state only, never a desk's history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.deps import LiveDep
from api.live import Snapshot
from api.models import DesksPublic, Message
from hubsense.layout import ID_PATTERN
from hubsense.state import DeskStatus

router = APIRouter(prefix="/desks", tags=["desks"])


def desks_body(snap: Snapshot) -> bytes:
    return snap.encoded("desks", lambda: DesksPublic(
        live=snap.live, count=len(snap.desks), data=list(snap.desks)).model_dump_json().encode())


@router.get("", summary="Desks, optionally of one zone and only free (or only not free) ones",
            responses={404: {"model": Message, "description": "no such zone"}})
def list_desks(
    live: LiveDep,
    zone: Annotated[str | None, Query(pattern=ID_PATTERN, examples=["quiet"])] = None,
    free: Annotated[bool | None, Query(description="true: free desks only; false: the rest")]
    = None,
) -> DesksPublic:
    """Filter the live desks; a zone not in the layout is a 404 that names it."""
    if zone is not None and live.layout.zone(zone) is None:
        raise HTTPException(404, f"no zone '{zone}' in this site")
    snap = live.snapshot()
    desks = [d for d in snap.desks
             if (zone is None or d.zone == zone)
             and (free is None or (d.status is DeskStatus.FREE) == free)]
    return DesksPublic(live=snap.live, count=len(desks), data=desks)
