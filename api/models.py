"""Response models of the public and staff API (the state types come from hubsense.state)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.live import NodeHealth
from hubsense.state import DeskState, ZoneState


class ZonesPublic(BaseModel):
    live: bool = Field(description="false while the collector or the broker is unreachable: "
                                   "every zone then reads unknown")
    count: int
    data: list[ZoneState]


class DesksPublic(BaseModel):
    live: bool
    count: int
    data: list[DeskState]


class NodesPublic(BaseModel):
    count: int
    data: list[NodeHealth]


class Message(BaseModel):
    detail: str
