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

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from hubsense.influx import InfluxError, InfluxV1, Point
from hubsense.layout import Layout, ZoneKind
from hubsense.measurements import DESK_DAY, VISITS_HOUR, WATERMARK, ZONE_HOUR, in_rollup_rp
from hubsense.settings import ReportSettings
from reports import source, store
from reports.events import roll_up_events
from reports.hours import HOUR_MS, Calendar
from reports.passages import Sample, entries
from reports.spans import Totals, Value, bucket_totals, spans_from_changes
from reports.versions import Versions

log = logging.getLogger(__name__)



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


class Rollup:
    """Computes and writes the rollups of one site, a local day at a time.

    Each day is rolled up with the layout version in force that day.
    """

    def __init__(self, db: InfluxV1, layout: Layout | Versions, cfg: ReportSettings) -> None:
        self.db = db
        self.versions = layout if isinstance(layout, Versions) else Versions.of(layout)
        self.layout = self.versions.current
        self.site = self.layout.site.id
        self.cal = Calendar.from_settings(cfg, self.layout.site.timezone)
        self.cfg = cfg

    def run(self, first: date, last: date, until_ms: int | None = None,
            progress: Callable[[date], None] | None = None) -> int:
        """Roll up local days first..last (inclusive), not past `until`; return points."""
        store.ensure_policy(self.db)
        start = self.cal.midnight_ms(first)
        desks = source.desk_before(self.db, self.site, start)
        zones = source.zone_before(self.db, self.site, start)
        doors = source.passage_before(self.db, self.site, start)
        written = 0
        d = first
        while d <= last:
            a, b = self.cal.midnight_ms(d), self.cal.midnight_ms(d + timedelta(days=1))
            if until_ms is not None:
                b = min(b, until_ms - until_ms % HOUR_MS)
            if a >= b:
                break
            points = self._day(self.versions.in_force(d), d, a, b, desks, zones, doors)
            store.write(self.db, points)
            written += len(points)
            if progress:
                progress(d)
            d += timedelta(days=1)
        if written:  # an event's figures may lean on the days just rolled up
            written += roll_up_events(self.db, self.layout, self.cfg, start, b)
        mark = self.watermark()
        if written and (mark is None or b > mark):  # re-rolling old days keeps the mark
            store.write(self.db, [Point(WATERMARK, {"site": self.site}, {"through_ms": b}, 0)])
        return written

    def _day(self, layout: Layout, d: date, a: int, b: int, desks: dict[str, Value],
             zones: dict[str, Value], doors: dict[source.Door, Sample]) -> list[Point]:
        open_spans = self.cal.open_spans(a, b)
        points: list[Point] = []
        desk_zone = {dk.id: dk.zone for dk in layout.desks}
        for desk, changes in _subjects(source.desk_changes(self.db, self.site, a, b),
                                       desk_zone).items():
            spans = spans_from_changes(changes, a, b, desks.get(desk))
            desks[desk] = spans[-1].value
            [t] = bucket_totals(spans, [a, b], open_spans)
            points.append(Point(DESK_DAY, {"site": self.site, "zone": desk_zone[desk],
                                           "desk": desk}, desk_fields(t), a))
        hours = [*range(a, b, HOUR_MS), b]
        capacity = {z.id: z.capacity for z in layout.zones if z.kind is not ZoneKind.ENTRANCE}
        for zone, changes in _subjects(source.zone_changes(self.db, self.site, a, b),
                                       capacity).items():
            spans = spans_from_changes(changes, a, b, zones.get(zone))
            zones[zone] = spans[-1].value
            for h0, t in zip(hours, bucket_totals(spans, hours, open_spans), strict=False):
                tags = {"site": self.site, "zone": zone, "how": str(self.cal.hour_of_week(h0))}
                points.append(Point(ZONE_HOUR, tags, zone_fields(t, capacity[zone]), h0))
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


def _subjects(changes: dict[str, list[tuple[int, Value]]],
              allowed: dict[str, Any]) -> dict[str, list[tuple[int, Value]]]:
    """Every subject of the layout (one never heard from is all unknown), nothing else."""
    return {k: changes.get(k, []) for k in allowed}
