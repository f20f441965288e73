"""The site layout: zones, desks, nodes and which node input observes what.

The layout is the allow-list for everything that reaches InfluxDB or a screen:
a payload names only a node id and an input number, and every tag value is
looked up here. Moving a sensor or re-drawing a zone is a layout edit, never a
reflash.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from hubsense.names import PlainName

# Ids end up as MQTT topic levels and InfluxDB tag values: keep them to a
# charset that needs no escaping in either.
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"
ID_RE = re.compile(ID_PATTERN)
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class ZoneKind(StrEnum):
    DESK_AREA = "desk_area"
    BUZZ_ZONE = "buzz_zone"
    QUIET_ZONE = "quiet_zone"
    MEETING_AREA = "meeting_area"
    LOUNGE = "lounge"
    ENTRANCE = "entrance"


class NodeKind(StrEnum):
    DESK = "desk"
    BUZZ = "buzz"
    MEETING = "meeting"
    ENTRANCE = "entrance"


class Measure(StrEnum):
    """What one node input reports; fixes the payload field it must carry."""

    PRESENCE = "presence"  # {"present": bool}
    COUNT = "count"  # {"count": int}
    SOUND = "sound"  # {"laeq": float, "lamax": float}
    PASSAGE = "passage"  # {"boot": str, "in": int, "out": int} running totals


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A name in the screen's languages; English is required."""

    en: PlainName = Field(min_length=1, max_length=80)
    sv: PlainName | None = Field(default=None, min_length=1, max_length=80)

    @model_validator(mode="before")
    @classmethod
    def _from_plain_string(cls, data: Any) -> Any:
        return {"en": data} if isinstance(data, str) else data

    def get(self, lang: str) -> str:
        return self.sv if lang == "sv" and self.sv else self.en


Point = tuple[float, float]


class Site(_Strict):
    id: Id
    name: Text
    timezone: str = "Europe/Stockholm"
    width: float = Field(gt=0, description="floor plan width, in plan units")
    height: float = Field(gt=0, description="floor plan height, in plan units")


class Zone(_Strict):
    id: Id
    name: Text
    kind: ZoneKind
    capacity: int = Field(ge=0, le=10_000)
    shape: list[Point] = Field(min_length=3, description="polygon on the floor plan")


class Desk(_Strict):
    id: Id
    zone: Id
    position: Point


# The node settings an input may carry, and the measures each applies to. They
# reach the node in its config.json, over the air (`hubsense ota release`);
# unset, the firmware's defaults hold (sensors/README.md).
INPUT_SETTINGS: dict[str, tuple[Measure, ...]] = {
    "settle_ms": (Measure.PRESENCE, Measure.COUNT),
    "hold_s": (Measure.PRESENCE,),
    "interval_s": (Measure.SOUND,),
    "offset_db": (Measure.SOUND,),
}


class Input(_Strict):
    n: int = Field(ge=1, le=16)
    measures: Measure
    desk: Id | None = None
    zone: Id | None = None
    settle_ms: int | None = Field(default=None, ge=0, le=60000,
                                  description="a detection counts once it lasts this long")
    hold_s: int | None = Field(default=None, ge=0, le=86400, description="presence: occupied "
                               "this long after the last motion")
    interval_s: int | None = Field(default=None, ge=5, le=3600,
                                   description="sound: the reporting interval")
    offset_db: float | None = Field(default=None, ge=-40, le=40,
                                    description="sound: the microphone's calibration")

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.desk is None) == (self.zone is None):
            raise ValueError("an input observes exactly one of 'desk' or 'zone'")
        if self.desk is not None and self.measures is not Measure.PRESENCE:
            raise ValueError(f"a desk can only be observed by 'presence', not '{self.measures}'")
        for key, measures in INPUT_SETTINGS.items():
            if getattr(self, key) is not None and self.measures not in measures:
                raise ValueError(f"'{key}' is a setting of {' and '.join(measures)} inputs, "
                                 f"not of {self.measures}")
        return self

    def settings(self) -> dict[str, int | float]:
        """The node settings this input sets (config.json keys of the input)."""
        return {k: getattr(self, k) for k in INPUT_SETTINGS if getattr(self, k) is not None}


class Node(_Strict):
    id: Id
    kind: NodeKind
    heartbeat_s: int = Field(default=60, ge=5, le=3600)
    inputs: list[Input] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_inputs(self) -> Self:
        seen = [i.n for i in self.inputs]
        dup = {n for n in seen if seen.count(n) > 1}
        if dup:
            raise ValueError(f"input numbers repeated: {sorted(dup)}")
        return self

    def input(self, n: int) -> Input | None:
        return next((i for i in self.inputs if i.n == n), None)


class Layout(_Strict):
    version: int = Field(default=1, ge=1)
    # Versions let reports compare layouts (report.earlier_layouts, docs/reports.md).
    effective_from: date | None = Field(default=None, description="the day this layout took effect")
    site: Site
    zones: list[Zone] = Field(min_length=1)
    desks: list[Desk] = []
    nodes: list[Node] = []

    @model_validator(mode="after")
    def _references(self) -> Self:
        for what, items in (("zone", self.zones), ("desk", self.desks), ("node", self.nodes)):
            ids = [i.id for i in items]
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise ValueError(f"{what} ids repeated: {dup}")
        zones = {z.id for z in self.zones}
        desks = {d.id for d in self.desks}
        for d in self.desks:
            if d.zone not in zones:
                raise ValueError(f"desk '{d.id}' is in unknown zone '{d.zone}'")
        observed: dict[tuple[str, str, Measure], str] = {}
        for node in self.nodes:
            for i in node.inputs:
                where = f"node '{node.id}' input {i.n}"
                if i.desk is not None and i.desk not in desks:
                    raise ValueError(f"{where} observes unknown desk '{i.desk}'")
                if i.zone is not None and i.zone not in zones:
                    raise ValueError(f"{where} observes unknown zone '{i.zone}'")
                key = ("desk", i.desk, i.measures) if i.desk else ("zone", str(i.zone), i.measures)
                if key in observed:
                    raise ValueError(f"{where} observes what {observed[key]} already observes")
                observed[key] = where
        return self

    # Lookups the services use on every message; built once.
    _nodes: dict[str, Node] = PrivateAttr(default_factory=dict)
    _zones: dict[str, Zone] = PrivateAttr(default_factory=dict)
    _desk_zone: dict[str, str] = PrivateAttr(default_factory=dict)

    def model_post_init(self, _ctx: Any) -> None:
        self._nodes = {n.id: n for n in self.nodes}
        self._zones = {z.id: z for z in self.zones}
        self._desk_zone = {d.id: d.zone for d in self.desks}

    def node(self, node_id: str) -> Node | None:
        return self._nodes.get(node_id)

    def zone(self, zone_id: str) -> Zone | None:
        return self._zones.get(zone_id)

    def desks_in(self, zone_id: str) -> list[Desk]:
        return [d for d in self.desks if d.zone == zone_id]

    def zone_of(self, inp: Input) -> str:
        if inp.zone is not None:
            return inp.zone
        return self._desk_zone[str(inp.desk)]


class LayoutError(ValueError):
    """A layout file that cannot be used; the message names file and field."""


def parse_layout(data: Any, source: str = "<layout>") -> Layout:
    try:
        return Layout.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{source}: {loc}: {msg}")
        raise LayoutError("\n".join(lines)) from None


def load_layout(path: str | Path) -> Layout:
    """Read and validate a layout YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LayoutError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise LayoutError(f"{path}: not valid YAML: {exc}") from None
    return parse_layout(data, str(path))
