"""Rollups: raw state changes summed per desk-day, zone-hour and door-hour, written back.

Why scheduled rollups rather than continuous queries: a duration needs the
state in force *before* each bucket (a desk occupied since 08:00 is occupied
all of 10:00-11:00 without a point in it), which an InfluxQL CQ cannot carry
over; CQs also do not exist in InfluxDB 2.x/3.x. The rollup is plain points
over the v1 API, in their own retention policy (reports/store.py): re-running
it for a range overwrites the same points, so late data (a replayed spool) is
folded in by re-rolling the last hours.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from hubsense.influx import InfluxError, InfluxV1, Point
from hubsense.layout import Layout, Measure, ZoneKind
from hubsense.measurements import (
    DESK_DAY,
    SOUND_HOUR,
    VISITS_HOUR,
    WATERMARK,
    ZONE_DAY,
    ZONE_HOUR,
    ZONE_MONTH,
    in_rollup_rp,
)
from hubsense.settings import ReportSettings, StateSettings
from reports import source, store
from reports.events import roll_up_events
from reports.hours import HOUR_MS, Calendar, month_start, next_month
from reports.passages import Sample, entries
from reports.source import WHERE, window
from reports.spans import Span, Totals, Value, bucket_totals, split
from reports.timeline import Timeline
from reports.versions import Versions

log = logging.getLogger(__name__)

DESK_FIELDS = ("span_s", "known_s", "occupied_s", "open_s", "open_known_s", "open_occupied_s")
ZONE_FIELDS = (*DESK_FIELDS, "people_s", "open_people_s", "open_capacity_s")
ZONE_PEAKS = ("peak", "open_peak")


def _s(ms: int) -> float:
    return ms / 1000.0


def desk_fields(t: Totals) -> dict[str, float | int]:
    return {"span_s": _s(t.span_ms), "known_s": _s(t.known_ms), "occupied_s": _s(t.occupied_ms),
            "open_s": _s(t.open_ms), "open_known_s": _s(t.open_known_ms),
            "open_occupied_s": _s(t.open_occupied_ms)}


def zone_fields(t: Totals, capacity: int) -> dict[str, float | int]:
    # open_capacity_s: capacity x known open time, so that people / capacity stays
    # right over a period in which a new layout version changed the capacity.
    out: dict[str, float | int] = {
        **desk_fields(t), "people_s": _s(t.people_ms), "open_people_s": _s(t.open_people_ms),
        "open_capacity_s": _s(t.open_known_ms) * capacity}
    if t.peak is not None:
        out["peak"] = t.peak
    if t.open_peak is not None:
        out["open_peak"] = t.open_peak
    return out


# What reports need of each desk, carried in its zone's day and month points.
REPORT_DESK_FIELDS = ("open_known_s", "open_occupied_s", "known_s")


HOURS_OF_WEEK = 168


def _zeros() -> list[float]:
    return [0.0] * HOURS_OF_WEEK


@dataclass
class ZoneSums:
    """A zone's rollup sums over some stretch, its peaks, its hour-of-week profile
    (person-seconds and known seconds per hour of the week) and its desks' sums
    (desk -> REPORT_DESK_FIELDS): one ZONE_DAY or ZONE_MONTH point, what reports read.

    The profile and the desks are JSON in one field each (the profile sparse,
    `{"36": [people_s, known_s]}`): InfluxDB 1.x pays per stored series and field, and
    168 hour-of-week series and a series per desk cost more than their points,
    whatever the range (docs/reports.md)."""

    sums: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, int] = field(default_factory=dict)
    people: list[float] = field(default_factory=_zeros)  # per hour of the week
    known: list[float] = field(default_factory=_zeros)
    desks: dict[str, list[float]] = field(default_factory=dict)

    def add(self, fields: dict[str, Any], how: int | None = None) -> None:
        """Add an hour's fields (with its hour of the week) or a stored day's or month's."""
        for k, v in fields.items():
            if v is None or k == "time":
                continue
            if k in ZONE_PEAKS:
                self.peaks[k] = max(self.peaks.get(k, int(v)), int(v))
            elif k == "profile":
                people, known = self.people, self.known
                for h, (p, n) in json.loads(v).items():
                    people[int(h)] += p
                    known[int(h)] += n
            elif k == "desks":
                for desk, values in json.loads(v).items():
                    self.add_desk(desk, values)
            else:
                self.sums[k] = self.sums.get(k, 0.0) + float(v)
        if how is not None:
            self.people[how] += float(fields["people_s"])
            self.known[how] += float(fields["known_s"])

    def add_desk(self, desk: str, values: list[float]) -> None:
        acc = self.desks.get(desk)
        if acc is None:
            self.desks[desk] = list(values)
        else:
            self.desks[desk] = [a + b for a, b in zip(acc, values, strict=True)]

    def merge(self, other: ZoneSums) -> None:
        for k, v in other.sums.items():
            self.sums[k] = self.sums.get(k, 0.0) + v
        for k, n in other.peaks.items():
            self.peaks[k] = max(self.peaks.get(k, n), n)
        self.people = [a + b for a, b in zip(self.people, other.people, strict=True)]
        self.known = [a + b for a, b in zip(self.known, other.known, strict=True)]
        for desk, values in other.desks.items():
            self.add_desk(desk, values)

    def fields(self) -> dict[str, float | int | str]:
        def compact(v: Any) -> str:
            return json.dumps(v, separators=(",", ":"))

        profile = {str(h): [round(p, 1), round(k, 1)]
                   for h, (p, k) in enumerate(zip(self.people, self.known, strict=True))
                   if p or k}
        desks = {d: [round(x, 1) for x in v] for d, v in sorted(self.desks.items())}
        return {**self.sums, **self.peaks, "profile": compact(profile), "desks": compact(desks)}


def sound_band(laeq: float) -> int:
    """The whole-dB band of a level: band N holds (N-1, N], so LAeq > T (whole dB) is N > T."""
    return math.ceil(laeq)


def sound_fields(open_ms: int, bands: dict[int, int]) -> dict[str, float | int]:
    out: dict[str, float | int] = {"open_s": _s(open_ms),
                                   "open_sound_s": _s(sum(bands.values()))}
    out.update({f"db_{band}": _s(ms) for band, ms in sorted(bands.items()) if ms})
    return out


class Rollup:
    """Computes and writes the rollups of one site, a local day at a time.

    Each day is rolled up with the layout version in force that day. Desk and
    zone states are placed in time by reports.timeline (the node's clock, the
    collector's downtime and restarts); `stale_factor` is state.stale_factor.
    """

    def __init__(self, db: InfluxV1, layout: Layout | Versions, cfg: ReportSettings,
                 state: StateSettings | None = None) -> None:
        self.db = db
        self.versions = layout if isinstance(layout, Versions) else Versions.of(layout)
        self.layout = self.versions.current
        self.site = self.layout.site.id
        self.cal = Calendar.from_settings(cfg, self.layout.site.timezone)
        self.cfg = cfg
        self.stale_factor = (state or StateSettings()).stale_factor

    def run(self, first: date, last: date, until_ms: int | None = None,
            progress: Callable[[date], None] | None = None) -> int:
        """Roll up local days first..last (inclusive), not past `until`; return points."""
        store.ensure_policy(self.db)
        now = int(time.time() * 1000) if until_ms is None else until_ms
        start = self.cal.midnight_ms(first)
        timeline = Timeline(self.db, self.versions.layouts, self.stale_factor, now)
        desks, zones = timeline.before(start)
        doors = source.passage_before(self.db, self.site, start)
        written = 0
        months: set[date] = set()
        d, through = first, start
        while d <= last:
            a, b = self.cal.midnight_ms(d), self.cal.midnight_ms(d + timedelta(days=1))
            if until_ms is not None:
                b = min(b, until_ms - until_ms % HOUR_MS)
            if a >= b:
                break
            points = self._day(self.versions.in_force(d), d, a, b, timeline, desks, zones,
                               doors)
            store.write(self.db, points)
            written += len(points)
            months.add(month_start(d))
            through = b
            if progress:
                progress(d)
            d += timedelta(days=1)
        for m in sorted(months):
            written += self._month(m)
        if written:  # an event's figures may lean on the days just rolled up
            written += roll_up_events(self.db, self.layout, self.cfg, start, through, timeline)
        mark = self.watermark()
        if written and (mark is None or through > mark):  # re-rolling old days keeps the mark
            store.write(self.db, [Point(WATERMARK, {"site": self.site},
                                        {"through_ms": through}, 0)])
        return written

    def _day(self, layout: Layout, d: date, a: int, b: int, timeline: Timeline,
             desks: dict[str, Value], zones: dict[str, Value],
             doors: dict[source.Door, Sample]) -> list[Point]:
        open_spans = self.cal.open_spans(a, b)
        points: list[Point] = []
        desk_zone = {dk.id: dk.zone for dk in layout.desks}
        got = timeline.desks(a, b, desks)
        desks.update(got.carry)
        day: dict[str, ZoneSums] = {}
        for desk, zone in desk_zone.items():
            [t] = bucket_totals(got.spans.get(desk) or [Span(a, b, None)], [a, b], open_spans)
            fields = desk_fields(t)
            points.append(Point(DESK_DAY, {"site": self.site, "zone": zone, "desk": desk},
                                fields, a))
            day.setdefault(zone, ZoneSums()).add_desk(
                desk, [float(fields[f]) for f in REPORT_DESK_FIELDS])
        hours = [*range(a, b, HOUR_MS), b]
        how = {h0: str(self.cal.hour_of_week(h0)) for h0 in hours[:-1]}
        capacity = {z.id: z.capacity for z in layout.zones if z.kind is not ZoneKind.ENTRANCE}
        got = timeline.zones(a, b, zones)
        zones.update(got.carry)
        for zone, cap in capacity.items():
            totals = bucket_totals(got.spans.get(zone) or [Span(a, b, None)], hours, open_spans)
            acc = day.setdefault(zone, ZoneSums())
            for h0, t in zip(hours, totals, strict=False):
                fields = zone_fields(t, cap)
                points.append(Point(ZONE_HOUR, {"site": self.site, "zone": zone, "how": how[h0]},
                                    fields, h0))
                acc.add(fields, int(how[h0]))
            points.append(Point(ZONE_DAY, {"site": self.site, "zone": zone}, acc.fields(), a))
        points += self._sound(layout, a, b, hours, open_spans)
        for door, samples in source.passages(self.db, self.site, a, b).items():
            per_hour: dict[int, int] = {}
            for t_ms, n in entries(samples, doors.get(door)):
                per_hour[t_ms - t_ms % HOUR_MS] = per_hour.get(t_ms - t_ms % HOUR_MS, 0) + n
            doors[door] = samples[-1]
            for h0, n in per_hour.items():
                points.append(Point(VISITS_HOUR, {"site": self.site, "zone": door[0],
                                                  "node": door[1]}, {"entries": n}, h0))
        log.debug("rolled up %s: %d points", d, len(points))
        return points

    def _sound(self, layout: Layout, a: int, b: int, hours: list[int],
               open_spans: list[tuple[int, int]]) -> list[Point]:
        """Seconds of LAeq per whole-dB band in opening hours, per zone with a microphone.

        An LAeq is the level over the time since the same input's previous one
        (the node's reporting interval); after a silence longer than the node's
        staleness bound (state.stale_factor heartbeats), as live state allows,
        that interval is unknown and the level counts for nothing.
        """
        if not open_spans:
            return []
        bound = {(layout.zone_of(i), n.id, str(i.n)): self.stale_factor * n.heartbeat_s * 1000
                 for n in layout.nodes for i in n.inputs if i.measures is Measure.SOUND}
        if not bound:
            return []
        levels = source.sound_levels(self.db, self.site, a - int(max(bound.values())), b)
        hist: dict[str, list[dict[int, int]]] = {z: [{} for _ in hours[:-1]]
                                                 for z, _n, _i in bound}
        for key, samples in levels.items():
            if key not in bound:
                continue
            spans = [Span(p, t, sound_band(laeq)) for (p, _), (t, laeq)
                     in pairwise(samples) if t - p <= bound[key]]
            for bucket, ms, band, is_open in split(spans, hours, open_spans):
                if is_open and band is not None:
                    hist[key[0]][bucket][band] = hist[key[0]][bucket].get(band, 0) + ms
        open_per_hour = [Totals() for _ in hours[:-1]]
        for bucket, ms, _v, is_open in split([Span(a, b, None)], hours, open_spans):
            open_per_hour[bucket].add(ms, None, is_open)
        return [Point(SOUND_HOUR, {"site": self.site, "zone": zone},
                      sound_fields(open_per_hour[i].open_ms, bands), hours[i])
                for zone, per_hour in hist.items() for i, bands in enumerate(per_hour)
                if open_per_hour[i].open_ms]

    def _month(self, first: date) -> int:
        """Sum a local month's zone days into per-month points."""
        a, b = self.cal.midnight_ms(first), self.cal.midnight_ms(next_month(first))
        params = window(self.site, a, b)
        points = []
        for zone, acc in read_zone_sums(self.db, ZONE_DAY, params).items():
            points.append(Point(ZONE_MONTH, {"site": self.site, "zone": zone}, acc.fields(), a))
        store.write(self.db, points)
        return len(points)

    def watermark(self) -> int | None:
        """End of the rolled-up days (UTC ms), or None before the first rollup."""
        return watermark(self.db, self.site)

    def catch_up(self, now_ms: int, since: date | None = None,
                 progress: Callable[[date], None] | None = None) -> int:
        """Roll up from the watermark (less the late-data lookback) to now."""
        lookback = now_ms - self.cfg.rollup_lookback_h * HOUR_MS
        mark = self.watermark()  # none yet: the lookback only; older days need `since`
        first = since or self.cal.local_date(min(mark or lookback, lookback))
        return self.run(first, self.cal.local_date(now_ms), until_ms=now_ms, progress=progress)


def read_zone_sums(db: InfluxV1, name: str, params: dict[str, Any],
                   into: dict[str, ZoneSums] | None = None,
                   detail: bool = True) -> dict[str, ZoneSums]:
    """Per zone, the ZONE_DAY or ZONE_MONTH points of a window added up (to `into`);
    without `detail`, only the zone's own sums and peaks (no profile, no desks: most
    of a point's bytes)."""
    fields = ", ".join((*ZONE_FIELDS, *ZONE_PEAKS, *(("profile", "desks") if detail else ())))
    q = f"SELECT {fields} FROM {in_rollup_rp(name)} WHERE {WHERE} GROUP BY zone"
    out: dict[str, ZoneSums] = {} if into is None else into
    for s in db.query(q, params):
        acc = out.setdefault(s.tags["zone"], ZoneSums())
        for row in s.rows():
            acc.add(row)
    return out


def watermark(db: InfluxV1, site: str) -> int | None:
    """End of the rolled-up days (UTC ms), or None before the first rollup."""
    q = f"SELECT last(through_ms) FROM {in_rollup_rp(WATERMARK)} WHERE site = $site"
    try:
        series = db.query(q, {"site": site})
    except InfluxError as exc:  # no rollup yet: not even the retention policy
        if exc.missing:
            return None
        raise
    return int(series[0].values[0][1]) if series else None
