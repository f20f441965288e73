"""Accuracy checks: a staff member's headcount of a zone, stored beside what hubsense showed.

A check is a zone, a moment and the people counted. When it is recorded, the
zone's occupancy at that moment is read the way every report reads it
(reports.timeline: unknown while stale, silent or the collector was down) and
stored with it, with the kind of sensor that produced it in the layout in
force: a people counter (`count`), desk sensors (`desks`) or a presence
sensor (`presence`). The report gives, per zone and sensor kind, the mean
error (sensor minus headcount), the mean absolute error and the share of
checks within report.accuracy_tolerance people.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from hubsense.influx import InfluxV1, Point
from hubsense.layout import Layout, Measure, ZoneKind
from hubsense.measurements import ACCURACY_CHECK
from hubsense.settings import ReportSettings
from reports.hours import Calendar, Period
from reports.source import WHERE, window
from reports.spans import Span
from reports.timeline import Timeline
from reports.versions import Versions

SensorKind = Literal["count", "desks", "presence"]
MAX_PEOPLE = 10_000


def sensor_kind(layout: Layout, zone_id: str) -> SensorKind | None:
    """What tells the zone's people in this layout, as hubsense.state reads it, if anything."""
    inputs = [i for n in layout.nodes for i in n.inputs if layout.zone_of(i) == zone_id]
    if any(i.measures is Measure.COUNT for i in inputs):
        return "count"
    if any(i.desk is not None for i in inputs):
        return "desks"
    if any(i.measures is Measure.PRESENCE for i in inputs):
        return "presence"
    return None


@dataclass(frozen=True)
class Check:
    zone: str
    at: datetime  # local
    people: int  # counted by a person
    sensor: SensorKind
    sensor_people: int | None  # what hubsense showed then; None: unknown
    error: int | None = field(init=False)  # sensor_people - people

    def __post_init__(self) -> None:
        object.__setattr__(self, "error", None if self.sensor_people is None
                           else self.sensor_people - self.people)


class CheckError(ValueError):
    """A check that cannot be recorded; the message says why."""


def record_check(db: InfluxV1, versions: Versions, cal: Calendar, timeline: Timeline,
                 zone: str, people: int, at_ms: int) -> Check:
    """Store a headcount beside the zone's occupancy as reports read it at that moment."""
    if at_ms > timeline.now_ms:
        raise CheckError("a headcount cannot be in the future")
    if not 0 <= people <= MAX_PEOPLE:
        raise CheckError(f"people must be 0..{MAX_PEOPLE}, not {people}")
    lay = versions.in_force(cal.local_date(at_ms))
    z = lay.zone(zone)
    if z is None or z.kind is ZoneKind.ENTRANCE:
        known = ", ".join(x.id for x in lay.zones if x.kind is not ZoneKind.ENTRANCE)
        raise CheckError(f"no zone {zone!r} to count people in (zones: {known})")
    kind = sensor_kind(lay, zone)
    if kind is None:
        raise CheckError(f"zone {zone!r} has no sensor that counts people to check")
    _desks, zones = timeline.before(at_ms)
    spans = timeline.zones(at_ms, at_ms + 1, zones).spans.get(zone) or [Span(at_ms, at_ms + 1,
                                                                             None)]
    shown = spans[0].value
    fields: dict[str, int | bool | float | str] = {"people": people}
    if shown is not None:
        fields["sensor_people"] = shown
    db.write([Point(ACCURACY_CHECK, {"site": lay.site.id, "zone": zone, "sensor": kind}, fields,
                    at_ms)])
    return Check(zone, cal.local(at_ms), people, kind, shown)


def list_checks(db: InfluxV1, site: str, cal: Calendar, start_ms: int, end_ms: int
                ) -> list[Check]:
    """Checks in [start, end), oldest first."""
    q = f"SELECT people, sensor_people FROM {ACCURACY_CHECK} WHERE {WHERE} GROUP BY zone, sensor"
    out = []
    for s in db.query(q, window(site, start_ms, end_ms)):
        kind: SensorKind = s.tags["sensor"]  # type: ignore[assignment]  # written from the Literal
        for t, people, shown in s.values:
            out.append(Check(s.tags["zone"], cal.local(t), int(people), kind,
                             None if shown is None else int(shown)))
    return sorted(out, key=lambda c: (c.at, c.zone))


@dataclass(frozen=True)
class Accuracy:
    """Checks of one zone and sensor kind (zone None: every zone with that kind)."""

    sensor: SensorKind
    checks: int
    compared: int  # checks when hubsense showed a figure (not unknown)
    mean_error: float | None = None  # sensor - headcount, people
    mean_abs_error: float | None = None
    within_share: float | None = None  # of the compared, within the tolerance
    zone: str | None = None


@dataclass(frozen=True)
class AccuracyReport:
    site: str
    period: Period
    tolerance: int  # people (report.accuracy_tolerance)
    zones: list[Accuracy]
    sensors: list[Accuracy]


def _summary(zone: str | None, sensor: SensorKind, checks: list[Check], tolerance: int
             ) -> Accuracy:
    errors = [c.error for c in checks if c.error is not None]
    n = len(errors)
    return Accuracy(sensor, len(checks), n, sum(errors) / n if n else None,
                    sum(abs(e) for e in errors) / n if n else None,
                    sum(abs(e) <= tolerance for e in errors) / n if n else None, zone)


def accuracy(db: InfluxV1, layout: Layout, cfg: ReportSettings, period: Period
             ) -> AccuracyReport:
    """Per zone and sensor kind, and per sensor kind, how far hubsense was from headcounts."""
    period.check(cfg.max_range_days)
    cal = Calendar.from_settings(cfg, layout.site.timezone)
    checks = list_checks(db, layout.site.id, cal, *period.bounds(cal))
    by_zone: dict[tuple[str, SensorKind], list[Check]] = defaultdict(list)
    by_sensor: dict[SensorKind, list[Check]] = defaultdict(list)
    for c in checks:
        by_zone[(c.zone, c.sensor)].append(c)
        by_sensor[c.sensor].append(c)
    t = cfg.accuracy_tolerance
    return AccuracyReport(layout.site.id, period, t,
                          [_summary(z, k, cs, t) for (z, k), cs in sorted(by_zone.items())],
                          [_summary(None, k, cs, t) for k, cs in sorted(by_sensor.items())])

