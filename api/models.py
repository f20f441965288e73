"""Response models of the public and staff API (the state types come from hubsense.state)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.examples import CHECK, EVENT
from hubsense.alerts import Alert
from hubsense.layout import Id, Point, Text, ZoneKind
from hubsense.state import DeskState, NodeHealth, ZoneState
from hubsense.suggest import Suggestions
from reports.accuracy import MAX_PEOPLE, SensorKind
from reports.events import EventName

ZONE_EXAMPLE: dict[str, Any] = {
    "id": "quiet", "name": {"en": "Quiet zone", "sv": "Tyst zon"}, "kind": "quiet_zone",
    "seatable": True, "capacity": 8, "status": "free", "occupied": 4, "desks_total": 8,
    "desks_free": 4, "desks_unknown": 0, "at_least": False, "laeq": 38.5, "noise": "calm",
    "stale": False,
    "updated_ms": 1795425997408, "last_seen_ms": 1795426010000,
}
_DESK_EXAMPLE: dict[str, Any] = {"id": "q-01", "zone": "quiet", "status": "free",
                                 "updated_ms": 1795425997408}


class ZonesPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={
        "examples": [{"live": True, "broker": True, "collector": True, "count": 1,
                      "data": [ZONE_EXAMPLE],
                      "suggestions": {"quiet": {"zone": "quiet", "why": "measured"},
                                      "talk": {"zone": "lounge", "why": "room"}}}]})

    live: bool = Field(description="false while the collector or the broker is unreachable: "
                                   "every zone then reads unknown")
    broker: bool = Field(description="the API is connected to the broker")
    collector: bool = Field(description="the collector says it is running")
    count: int
    data: list[ZoneState]
    suggestions: Suggestions = Field(description="the quietest free spot and room to talk, "
                                                 "from the zones as they show (hubsense.suggest)")


class DesksPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={
        "examples": [{"live": True, "count": 1, "data": [_DESK_EXAMPLE]}]})

    live: bool
    count: int
    data: list[DeskState]


class NodesPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"count": 1, "data": [{
        "id": "desk-q1", "online": True, "fresh": True, "last_seen_ms": 1795426010000,
        "last_heartbeat_ms": 1795426000000, "boot": "9f3a51c2", "fw": "0.1.0",
        "uptime_s": 3600, "heap_free": 61440, "rssi": -61, "drops": 0,
        "implausible_counts": 0, "release": 3,
        "update": {"release": 3, "version": "0.2.0", "state": "online", "why": None,
                   "at_ms": 1795425000000}}], "placement": {"desk-q1": ["quiet"]},
        "alerts": [{"kind": "low_heap", "node": "desk-q1", "value": 18432}]}]})

    count: int
    data: list[NodeHealth]
    placement: dict[str, list[str]] = Field(default={}, description="node -> the zones it "
                                                                    "watches")
    alerts: list[Alert] = Field(default=[], description="what needs a look, the site's first")


class ReleasePublic(BaseModel):
    release: int
    version: str
    created_ms: int
    rollback_s: int = Field(description="a new firmware not online by then rolls back")
    nodes: dict[str, str] = Field(description="each node the release is for: its update state "
                                  "(offered … online, refused, failed, rolled_back), "
                                  "'superseded' once it runs a later release, or 'not offered'")


class ReleasesPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"count": 1, "data": [{
        "release": 3, "version": "0.2.0", "created_ms": 1795420000000, "rollback_s": 120,
        "nodes": {"desk-q1": "online", "desk-q2": "downloading", "buzz-n": "not offered"}}]}]})

    count: int
    data: list[ReleasePublic]


class ZonePlan(BaseModel):
    id: str
    name: Text
    kind: ZoneKind
    capacity: int
    shape: list[Point]


class DeskPlan(BaseModel):
    id: str
    zone: str
    position: Point


class SitePublic(BaseModel):
    """What the screen needs to draw the floor plan; nothing about nodes."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "hbg-works", "name": {"en": "Hbg Works", "sv": "Hbg Works"}, "width": 1000,
        "height": 600, "language": "en", "zones": [{
            "id": "quiet", "name": {"en": "Quiet zone", "sv": "Tyst zon"}, "kind": "quiet_zone",
            "capacity": 8, "shape": [[620, 0], [1000, 0], [1000, 360], [620, 360]]}],
        "desks": [{"id": "q-01", "zone": "quiet", "position": [680, 80]}]}]})

    id: str
    name: Text
    width: float
    height: float
    language: str = Field(description="the screen's default language")
    zones: list[ZonePlan]
    desks: list[DeskPlan]


class Message(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "no zone 'x'"}]})

    detail: str


def staff_errors(scope: str, bad: str) -> dict[int | str, dict[str, Any]]:
    """The error answers of a staff route that needs `scope`; `bad` says what a 400 means."""
    return {400: {"model": Message, "description": bad},
            401: {"model": Message, "description": "no or unknown token"},
            403: {"model": Message, "description": f"token lacks '{scope}'"},
            503: {"model": Message, "description": "InfluxDB did not answer"}}


class EventCreate(BaseModel):
    """An event to register; times without an offset are the site's local time."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "Demo night", "start": "2026-11-18T18:00:00+01:00",
        "end": "2026-11-18T21:00:00+01:00", "zones": ["buzz-north"]}]})

    id: Id | None = Field(default=None, description="default: from the name and the day")
    name: EventName
    start: datetime
    end: datetime
    zones: list[Id] = Field(default=[], max_length=64,
                            description="zones of the layout; none: the whole site")


class EventPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EVENT]})

    id: str
    name: str
    start: datetime
    end: datetime
    zones: list[str]


class EventsPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"count": 1, "data": [EVENT]}]})

    count: int
    data: list[EventPublic]


class FeedbackCreate(BaseModel):
    """A visitor's word on a zone: too loud, or no free seat. Nothing about who sends it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"zone": "quiet", "kind": "too_loud"}]})

    zone: Id = Field(description="a zone of the layout where one sits (not the entrance)")
    kind: Literal["too_loud", "no_seat"]


class FeedbackAnswer(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"zone": "quiet", "kind": "too_loud", "counted": True, "again_after_s": 600}]})

    zone: str
    kind: Literal["too_loud", "no_seat"]
    counted: bool = Field(description="false: this client's word on this zone was counted a "
                                      "moment ago, and this one is not")
    again_after_s: int = Field(description="this client's next word on this zone counts after "
                                           "this many seconds")


class CheckCreate(BaseModel):
    """A headcount of a zone; `at` without an offset is the site's local time, none: now."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "zone": "buzz-north", "people": 7, "at": "2026-11-18T10:30:00+01:00"}]})

    zone: Id
    people: int = Field(ge=0, le=MAX_PEOPLE, description="people counted in the zone")
    at: datetime | None = Field(default=None, description="when they were counted; default now")


class CheckPublic(BaseModel):
    """A headcount beside what hubsense showed then (reports.accuracy.Check)."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [CHECK]})

    zone: str
    at: datetime = Field(description="local time")
    people: int = Field(description="counted by a person")
    sensor: SensorKind
    sensor_people: int | None = Field(description="what hubsense showed; null: unknown")
    error: int | None = Field(description="sensor_people - people")


class ChecksPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"count": 1, "data": [CHECK]}]})

    count: int
    data: list[CheckPublic]
