"""Visitors' own word next to the sensors': "too loud" and "no seat", counted per zone and hour.

One point per zone, kind and hour (measurement `visitor_feedback`, tags site,
zone and kind from the layout), whose field `count` is the hour's running total,
at the start of the hour. Neither who pressed nor when in the hour is kept: a
count per hour is what staff need, and it cannot be lined up with who sat where.

The running total is held here and written through on each press, overwriting
the hour's point (same tags, same time); the first press of a zone and kind in
an hour since start-up reads back what is stored, so a restart loses nothing.
One API process writes these points: a second one would overwrite the first's
totals.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hubsense.influx import InfluxError, InfluxV1, Point
from hubsense.layout import Layout, Zone
from hubsense.measurements import FEEDBACK
from hubsense.settings import ReportSettings
from reports.hours import HOUR_MS, Calendar, Period
from reports.source import WHERE, window


class FeedbackKind(StrEnum):
    TOO_LOUD = "too_loud"
    NO_SEAT = "no_seat"


@dataclass(frozen=True)
class FeedbackHour:
    hour: datetime  # its start, in the site's time zone
    zone: str
    too_loud: int
    no_seat: int


@dataclass(frozen=True)
class FeedbackReport:
    site: str
    period: Period
    hours: list[FeedbackHour]  # hours with feedback, oldest first, then by zone


class FeedbackCounts:
    """Count presses per zone and kind in the current hour, writing each new total through."""

    def __init__(self, db: InfluxV1, site: str) -> None:
        self._db = db
        self._site = site
        # One press at a time: read, add and write must not interleave (presses are rare).
        self._lock = threading.Lock()
        self._hour = -1
        self._totals: dict[tuple[str, FeedbackKind], int] = {}

    def add(self, zone: Zone, kind: FeedbackKind, now_ms: int) -> int:
        """Count one press; return the hour's new total. On InfluxError nothing is counted."""
        hour = now_ms - now_ms % HOUR_MS
        with self._lock:
            if hour != self._hour:  # a new hour: the last one's totals are stored
                self._hour, self._totals = hour, {}
            key = (zone.id, kind)
            stored = self._totals.get(key)
            if stored is None:
                stored = self._stored(zone.id, kind, hour)
            total = stored + 1
            self._db.write([Point(FEEDBACK, {"site": self._site, "zone": zone.id,
                                             "kind": kind.value}, {"count": total}, hour)])
            self._totals[key] = total
            return total

    def _stored(self, zone: str, kind: FeedbackKind, hour: int) -> int:
        q = (f'SELECT last("count") FROM {FEEDBACK} WHERE {WHERE} '
             "AND zone = $zone AND kind = $kind")
        try:
            series = self._db.query(q, {**window(self._site, hour, hour + HOUR_MS),
                                        "zone": zone, "kind": kind.value})
        except InfluxError as exc:
            if exc.missing:
                return 0
            raise
        return int(series[0].values[0][1]) if series and series[0].values else 0


def feedback_report(db: InfluxV1, layout: Layout, cfg: ReportSettings,
                    period: Period) -> FeedbackReport:
    """Feedback per zone and local hour over whole local days of `period`."""
    cal = Calendar.from_settings(cfg, layout.site.timezone)
    a, b = period.bounds(cal)
    q = f'SELECT "count" FROM {FEEDBACK} WHERE {WHERE} GROUP BY zone, kind'
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    try:
        series = db.query(q, window(layout.site.id, a, b))
    except InfluxError as exc:
        if not exc.missing:
            raise
        series = []
    for s in series:
        for t, n in s.values:
            counts[(t, s.tags["zone"])][s.tags["kind"]] = int(n)
    hours = [FeedbackHour(cal.local(t), zone, c.get(FeedbackKind.TOO_LOUD, 0),
                          c.get(FeedbackKind.NO_SEAT, 0))
             for (t, zone), c in sorted(counts.items())]
    return FeedbackReport(layout.site.id, period, hours)
