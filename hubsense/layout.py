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
from shapely.geometry import Point as _Point
from shapely.geometry import Polygon

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
        self._check_plan()
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

    def _check_plan(self) -> None:
        """The floor plan adds up: desks in their zone, zones apart, desks within capacity."""
        shapes = {z.id: Polygon(z.shape) for z in self.zones}
        for zid, shape in shapes.items():
            if not shape.is_valid or shape.area <= 0:
                raise ValueError(f"zones[{zid}].shape: not a simple polygon (its sides cross, "
                                 "or it has no area)")
        for d in self.desks:
            if not shapes[d.zone].covers(_Point(d.position)):
                x, y = d.position
                raise ValueError(f"desks[{d.id}].position: [{x:g}, {y:g}] is outside its "
                                 f"zone '{d.zone}'")
        ids = list(shapes)
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if shapes[a].intersection(shapes[b]).area > 1e-9 * shapes[a].area:
                    raise ValueError(f"zones[{a}].shape and zones[{b}].shape overlap: a place "
                                     "on the plan belongs to one zone")
        for z in self.zones:
            n = sum(1 for d in self.desks if d.zone == z.id)
            if n > z.capacity:
                raise ValueError(f"zones[{z.id}].capacity: {z.capacity} is less than its "
                                 f"{n} desks")

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


def where(loc: tuple[int | str, ...], data: Any) -> str:
    """A validation error's place as a person finds it in the file: an element of a
    list by its id (`zones[quiet].capacity`), else by its 1-based position."""
    out: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            out[-1] += f"[{ident}]" if isinstance(ident, str) and ident else f"[{part + 1}]"
            node = item
        else:
            out.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(out)


def parse_layout(data: Any, source: str = "<layout>") -> Layout:
    try:
        return Layout.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = where(tuple(err["loc"]), data)
            msg = err["msg"].removeprefix("Value error, ")
            # A check of the whole layout names its elements in its message.
            lines.append(f"{source}: {loc}: {msg}" if loc else f"{source}: {msg}")
        raise LayoutError("\n".join(lines)) from None


def load_layout(path: str | Path) -> Layout:
    """Read and validate a layout YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LayoutError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be read"
        raise LayoutError(f"{path}{at}: not valid YAML: {problem}") from None
    return parse_layout(data, str(path))


def lint(layout: Layout) -> list[str]:
    """What may be a mistake but is allowed: a desk or zone no sensor watches, a name
    with no Swedish. `hubsense check-layout` and `layout apply` show these."""
    out = []
    watched_desks = {i.desk for n in layout.nodes for i in n.inputs if i.desk}
    watched_zones = {layout.zone_of(i) for n in layout.nodes for i in n.inputs}
    out += [f"desks[{d.id}]: no input observes it: it will always read unknown"
            for d in layout.desks if d.id not in watched_desks]
    out += [f"zones[{z.id}]: no input observes it or its desks: it will always read unknown"
            for z in layout.zones if z.id not in watched_zones]
    if layout.site.name.sv is None:
        out.append("site.name.sv: no Swedish name; the Swedish screen shows the English one")
    out += [f"zones[{z.id}].name.sv: no Swedish name; the Swedish screen shows the English one"
            for z in layout.zones if z.name.sv is None]
    return out
