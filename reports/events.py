"""Events the hub team registers, and visits and occupancy during each.

Events are stored as points in InfluxDB (measurement `hub_event`), so Grafana
can draw them as annotations and every service sees the same list. Figures
per event come from the raw series: events are short, and hours would blur
an event that starts at 17:30.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from hubsense.influx import InfluxError, InfluxV1, Point
from hubsense.layout import ID_RE, Layout, ZoneKind
from hubsense.measurements import EVENT, EVENT_FIGURES
from hubsense.names import plain_name
from hubsense.settings import ReportSettings
from reports import source, store
from reports.hours import Calendar, Period, to_ms
from reports.source import MS_NS
from reports.spans import Span, bucket_totals
from reports.timeline import Timeline

MAX_EVENT_DAYS = 14
# What the API and `hubsense event add` accept as a new event's name, checked the same way.
EventName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(plain_name)]


@dataclass(frozen=True)
class Event:
    id: str
    name: str
    start_ms: int
    end_ms: int
    zones: tuple[str, ...] = ()  # none: the whole site

    def __post_init__(self) -> None:
        if not ID_RE.fullmatch(self.id):
            raise ValueError(f"event id {self.id!r} must match {ID_RE.pattern}")
        if not 0 < len(self.name) <= 200:
            raise ValueError("event name must be 1-200 characters")
        if not self.start_ms < self.end_ms <= self.start_ms + MAX_EVENT_DAYS * 86_400_000:
            raise ValueError(f"event must end after it starts, within {MAX_EVENT_DAYS} days")

    def days(self, cal: Calendar) -> frozenset[date]:
        """Local days the event touches: left out of the everyday baseline."""
        d, last = cal.local_date(self.start_ms), cal.local_date(self.end_ms - 1)
        return frozenset(d + timedelta(days=i) for i in range((last - d).days + 1))


def event_id(name: str, start: date) -> str:
    """A readable id from the name and the local day it starts: `demo-night-20261118`."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:36].strip("-") or "event"
    return f"{base}-{start:%Y%m%d}"


def save_event(db: InfluxV1, layout: Layout, ev: Event) -> None:
    """Register (or replace) an event; its zones must be in the layout."""
    unknown = [z for z in ev.zones if layout.zone(z) is None]
    if unknown:
        raise ValueError(f"event {ev.id}: unknown zones {unknown}")
    db.write([Point(EVENT, {"site": layout.site.id, "event": ev.id},
                    {"name": ev.name, "end_ms": ev.end_ms, "zones": json.dumps(list(ev.zones)),
                     "deleted": False}, ev.start_ms)])


def delete_event(db: InfluxV1, layout: Layout, ev: Event) -> None:
    """Mark an event deleted (a tombstone works on InfluxDB 1.x, 2.x and 3.x alike)."""
    tags = {"site": layout.site.id, "event": ev.id}
    db.write([Point(EVENT, tags, {"deleted": True}, ev.start_ms)])
    try:  # and its rolled-up figures, if the rollups have begun
        store.write(db, [Point(EVENT_FIGURES, tags, {"deleted": True}, ev.start_ms)])
    except InfluxError as exc:
        if "retention policy not found" not in str(exc):
            raise


def list_events(db: InfluxV1, layout: Layout, start_ms: int, end_ms: int) -> list[Event]:
    """Events starting in [start, end), oldest first."""
    q = (f'SELECT "name", end_ms, zones, deleted FROM {EVENT} WHERE site = $site '
         "AND time >= $start AND time < $end GROUP BY event")
    out = []
    for s in db.query(q, {"site": layout.site.id, "start": start_ms * MS_NS,
                          "end": end_ms * MS_NS}):
        for r in s.rows():
            if not r["deleted"] and r["name"] is not None:
                out.append(Event(s.tags["event"], r["name"], r["time"], int(r["end_ms"]),
                                 tuple(json.loads(r["zones"]))))
    return sorted(out, key=lambda e: (e.start_ms, e.id))


@dataclass(frozen=True)
class EventInfo:
    """An event as shown: times in the site's local time (with their offset)."""

    id: str
    name: str
    start: datetime
    end: datetime
    zones: list[str]

    @classmethod
    def of(cls, ev: Event, cal: Calendar) -> EventInfo:
        return cls(ev.id, ev.name, cal.local(ev.start_ms), cal.local(ev.end_ms), list(ev.zones))


@dataclass(frozen=True)
class ZoneDuring:
    zone: str
    mean_occupancy: float | None  # people, over the known time
    peak: int | None
    unknown_share: float | None  # None: nothing of the event has happened yet


EventStatus = Literal["upcoming", "in_progress", "over"]


@dataclass(frozen=True)
class EventReport:
    event: EventInfo
    visits: int
    zones: list[ZoneDuring]
    # An event still going on is counted so far, to `counted_through`.
    status: EventStatus = "over"
    counted_through: datetime | None = None
    # Visits over the same local hours on earlier same weekdays without an event or a
    # holiday (their mean), and those days: what the event added.
    usual_visits: float | None = None
    usual_days: list[date] = field(default_factory=list)


def event_report(db: InfluxV1, layout: Layout, cal: Calendar, ev: Event,
                 timeline: Timeline) -> EventReport:
    """Visits through every door and occupancy of the event's zones during it, so far.

    Visits are counted from the raw totals by the same rule and the same
    baseline as the rollups behind the visits report, so both give the same
    count for the same window.
    """
    site, a = layout.site.id, ev.start_ms
    b = min(ev.end_ms, timeline.now_ms)
    status: EventStatus = ("upcoming" if b <= a else
                           "in_progress" if b < ev.end_ms else "over")
    info = EventInfo.of(ev, cal)
    ids = ev.zones or tuple(z.id for z in layout.zones if z.kind is not ZoneKind.ENTRANCE)
    if status == "upcoming":
        return EventReport(info, 0, [ZoneDuring(z, None, None, None) for z in ids], status)
    n = sum(k for _t, k in source.entries_between(db, site, a, b))
    _desks, initial = timeline.before(a)
    got = timeline.zones(a, b, initial)
    zones = []
    for z in ids:
        [t] = bucket_totals(got.spans.get(z) or [Span(a, b, None)], [a, b], [(a, b)])
        zones.append(ZoneDuring(z, t.people_ms / t.known_ms if t.known_ms else None, t.peak,
                                t.unknown_ms / t.span_ms))
    return EventReport(info, n, zones, status, cal.local(b))


def with_usual(db: InfluxV1, site: str, cal: Calendar, r: EventReport, days: list[date]
               ) -> EventReport:
    """The report with the mean visits over the same local stretch on `days` (earlier same
    weekdays), counted by the rule the event's own visits are."""
    if r.status == "upcoming" or not days:
        return r
    a, b = r.event.start, r.counted_through or r.event.end

    def back(t: datetime, d: date) -> int:
        # Wall-clock time on the earlier day: a clock change between them moves nothing.
        day = d + (t.date() - a.date())
        return to_ms(datetime.combine(day, t.timetz().replace(tzinfo=None), cal.tz))

    seen: dict[date, int] = {}
    for d in days:
        got = source.entries_between(db, site, back(a, d), back(b, d))
        if got:  # no door total at all that evening: not known, not zero
            seen[d] = sum(k for _t, k in got)
    if not seen:
        return r
    return replace(r, usual_visits=sum(seen.values()) / len(seen), usual_days=sorted(seen))


def events_during(db: InfluxV1, layout: Layout, cfg: ReportSettings,
                  period: Period) -> list[Event]:
    """Events that touch a local day of `period` (one may start up to 14 days before)."""
    cal = Calendar.from_settings(cfg, layout.site.timezone)
    a, b = period.bounds(cal)
    return [e for e in list_events(db, layout, a - MAX_EVENT_DAYS * 86_400_000, b)
            if e.end_ms > a]


def event_days(events: list[Event], cfg: ReportSettings, layout: Layout) -> frozenset[date]:
    """All local days touched by these events."""
    cal = Calendar.from_settings(cfg, layout.site.timezone)
    return frozenset().union(*(e.days(cal) for e in events))


def roll_up_events(db: InfluxV1, layout: Layout, cfg: ReportSettings, start_ms: int,
                   end_ms: int, timeline: Timeline) -> int:
    """Write the figures of events touching [start, end) into the rollups; return how many."""
    cal = Calendar.from_settings(cfg, layout.site.timezone)
    points = []
    for ev in list_events(db, layout, start_ms - MAX_EVENT_DAYS * 86_400_000, end_ms):
        if ev.end_ms > start_ms:
            rep = event_report(db, layout, cal, ev, timeline)
            points.append(Point(EVENT_FIGURES, {"site": layout.site.id, "event": ev.id},
                                {"name": ev.name, "end_ms": ev.end_ms, "visits": rep.visits,
                                 "zones": json.dumps(list(ev.zones)), "deleted": False},
                                ev.start_ms))
    store.write(db, points)
    return len(points)
