"""Visits per day, week or month, the peak hour, and the trend against the previous period.

Finished hours come from the hourly rollups; the hours since the rollups'
watermark, up to now, from the raw door totals by the same rule (so today so
far is counted, and marked in progress). The previous period is counted over
exactly the same stretch: as many whole days and the same local time of day.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.measurements import VISITS_HOUR
from hubsense.measurements import in_rollup_rp as measurement
from hubsense.settings import ReportSettings
from reports import source
from reports.hours import HOUR_MS, Calendar, Period, to_ms
from reports.rollup import watermark
from reports.source import WHERE, window

_VISITS = measurement(VISITS_HOUR)
By = Literal["day", "week", "month"]


@dataclass(frozen=True)
class PeakHour:
    start: datetime  # local, with its offset
    visits: int


@dataclass(frozen=True)
class VisitsReport:
    site: str
    period: Period
    by: By
    rows: list[tuple[date, int]]  # (first day of the day/ISO week/month, visits), so far
    total: int
    previous_total: int
    peak_hour: PeakHour | None = None
    trend: float | None = None  # total / previous_total - 1
    baseline_per_day: float | None = None  # mean visits on whole days that are not excluded
    excluded_days: list[date] = field(default_factory=list)
    rollups_through: datetime | None = None  # local; later hours are read from raw totals
    # The period is not over: counted to `counted_through`, and the previous one
    # over the same stretch, to `previous_through`.
    in_progress: bool = False
    counted_through: datetime | None = None
    previous_through: datetime | None = None
    exclusion: str | None = None  # what leaving event days out did


def bucket_start(d: date, by: By) -> date:
    if by == "week":
        return d - timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    return d


def hourly_visits(db: InfluxV1, site: str, start_ms: int, end_ms: int) -> dict[int, int]:
    """Entries per rolled-up hour (UTC ms of its start), all doors summed."""
    q = f"SELECT sum(entries) FROM {_VISITS} WHERE {WHERE} GROUP BY time(1h)"
    out: dict[int, int] = {}
    for s in db.query(q, window(site, start_ms, end_ms)):
        for t, n in s.values:
            if n:
                out[int(t)] = int(n)
    return out


def count(db: InfluxV1, site: str, start_ms: int, end_ms: int, mark: int | None
          ) -> dict[int, int]:
    """Entries per hour in [start, end): rolled-up hours, then raw totals after the mark."""
    # Whole rolled-up hours only: an hourly point holds its whole hour, and `end` may
    # fall inside one (the same stretch of the previous period, now).
    upto = start_ms if mark is None else min(mark, end_ms)
    raw_from = max(start_ms, upto - upto % HOUR_MS)
    out = hourly_visits(db, site, start_ms, raw_from) if raw_from > start_ms else {}
    for t, n in source.entries_between(db, site, raw_from, end_ms):
        if n:
            out[t - t % HOUR_MS] = out.get(t - t % HOUR_MS, 0) + n
    return out


def same_stretch(period: Period, cut_ms: int, cal: Calendar) -> int:
    """The instant in the previous period as far into it as `cut` is into `period`:
    as many whole days, then the same local time of day."""
    at = cal.local(cut_ms)
    day = period.previous().first + (at.date() - period.first)
    return to_ms(datetime.combine(day, at.time(), cal.tz))


def summarize(hours: dict[int, int], previous: dict[int, int], cal: Calendar, period: Period,
              by: By, exclude_days: frozenset[date] = frozenset(), site: str = "",
              cut_ms: int | None = None) -> VisitsReport:
    """Group hourly entries into local days/weeks/months; pure, so tests can feed it.

    `cut` is how far the period has been counted (default: all of it): rows stop
    at the day it falls in, and only days before it make the baseline.
    """
    end = period.bounds(cal)[1]
    cut = end if cut_ms is None else min(cut_ms, end)
    per_day: dict[date, int] = defaultdict(int)
    for t, n in hours.items():
        per_day[cal.local_date(t)] += n
    days = [d for d in (period.first + timedelta(days=i) for i in range(period.days))
            if cal.midnight_ms(d) < cut]
    grouped: dict[date, int] = {}
    for d in days:
        k = bucket_start(d, by)
        grouped[k] = grouped.get(k, 0) + per_day.get(d, 0)
    whole = [d for d in days if d not in exclude_days
             and cal.midnight_ms(d + timedelta(days=1)) <= cut]
    total = sum(per_day.get(d, 0) for d in days)
    prev = sum(previous.values())
    peak = max(hours.items(), key=lambda kv: (kv[1], -kv[0]), default=None)
    excluded = sorted(set(days) & exclude_days)
    return VisitsReport(
        site, period, by, sorted(grouped.items()), total, prev,
        None if peak is None else PeakHour(cal.local(peak[0]), peak[1]),
        (total / prev - 1) if prev else None,
        sum(per_day.get(d, 0) for d in whole) / len(whole) if whole else None,
        excluded, in_progress=cut < end, counted_through=cal.local(cut),
        exclusion=("days with registered events are in the rows and the total, and left out "
                   "of the baseline per day only") if excluded else None)


def visits(db: InfluxV1, layout: Layout, cfg: ReportSettings, period: Period, by: By = "day",
           exclude_days: frozenset[date] = frozenset(), now_ms: int | None = None
           ) -> VisitsReport:
    """Visits over `period` so far, grouped `by`, with the previous period for the trend."""
    period.check(cfg.max_range_days)
    cal = Calendar.from_settings(cfg, layout.site.timezone)
    site = layout.site.id
    mark = watermark(db, site)
    start, end = period.bounds(cal)
    cut = max(start, min(end, int(time.time() * 1000) if now_ms is None else now_ms))
    prev_start, prev_end = period.previous().bounds(cal)
    prev_cut = prev_end if cut == end else same_stretch(period, cut, cal)
    r = summarize(count(db, site, start, cut, mark), count(db, site, prev_start, prev_cut, mark),
                  cal, period, by, exclude_days, site, cut)
    return replace(r, rollups_through=None if mark is None else cal.local(mark),
                   previous_through=cal.local(prev_cut))
