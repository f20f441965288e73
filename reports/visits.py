"""Visits per day, week or month, the peak hour, and the trend against the previous period."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.measurements import VISITS_HOUR
from hubsense.measurements import in_rollup_rp as measurement
from hubsense.settings import ReportSettings
from reports.hours import Calendar, Period
from reports.source import WHERE, window
from reports.utilization import through

_VISITS = measurement(VISITS_HOUR)
By = Literal["day", "week", "month"]


@dataclass(frozen=True)
class VisitsReport:
    site: str
    period: Period
    by: By
    rows: list[tuple[date, int]]  # (first day of the day/ISO week/month, visits)
    total: int
    peak_hour: tuple[int, int] | None  # (UTC ms of the hour's start, visits)
    previous_total: int
    trend: float | None  # total / previous_total - 1
    baseline_per_day: float | None  # mean visits on days not excluded (event days)
    excluded_days: list[date]
    rollups_through: datetime | None = None  # see UtilizationReport
    # The period is not over yet: the previous one is counted over as long a stretch,
    # so that the trend compares like with like.
    partial: bool = False


def bucket_start(d: date, by: By) -> date:
    if by == "week":
        return d - timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    return d


def hourly_visits(db: InfluxV1, site: str, start_ms: int, end_ms: int) -> dict[int, int]:
    """Entries per hour (UTC ms of its start), all doors summed."""
    q = f"SELECT sum(entries) FROM {_VISITS} WHERE {WHERE} GROUP BY time(1h)"
    out: dict[int, int] = {}
    for s in db.query(q, window(site, start_ms, end_ms)):
        for t, n in s.values:
            if n:
                out[int(t)] = int(n)
    return out


def summarize(hours: dict[int, int], previous: dict[int, int], cal: Calendar, period: Period,
              by: By, exclude_days: frozenset[date] = frozenset(), site: str = ""
              ) -> VisitsReport:
    """Group hourly entries into local days/weeks/months; pure, so tests can feed it."""
    per_day: dict[date, int] = defaultdict(int)
    for t, n in hours.items():
        per_day[cal.local_date(t)] += n
    days = [period.first + timedelta(days=i) for i in range(period.days)]
    grouped: dict[date, int] = {}
    for d in days:
        k = bucket_start(d, by)
        grouped[k] = grouped.get(k, 0) + per_day.get(d, 0)
    baseline_days = [d for d in days if d not in exclude_days]
    total = sum(per_day.get(d, 0) for d in days)
    prev = sum(previous.values())
    peak = max(hours.items(), key=lambda kv: (kv[1], -kv[0]), default=None)
    return VisitsReport(
        site, period, by, sorted(grouped.items()), total, peak, prev,
        (total / prev - 1) if prev else None,
        (sum(per_day.get(d, 0) for d in baseline_days) / len(baseline_days)
         if baseline_days else None),
        sorted(set(days) & exclude_days))


def visits(db: InfluxV1, layout: Layout, cfg: ReportSettings, period: Period, by: By = "day",
           exclude_days: frozenset[date] = frozenset(), now_ms: int | None = None
           ) -> VisitsReport:
    """Visits over `period` grouped `by`, with the previous period for the trend."""
    period.check(cfg.max_range_days)
    cal = Calendar.from_settings(cfg, layout.site.timezone)
    site = layout.site.id
    mark = through(db, site)
    if mark is None:  # nothing rolled up yet (not even the policy)
        return summarize({}, {}, cal, period, by, exclude_days, site)
    start, end = period.bounds(cal)
    now = min(end, int(time.time() * 1000) if now_ms is None else now_ms)
    prev_start = period.previous().bounds(cal)[0]
    hours = hourly_visits(db, site, start, end)
    before = hourly_visits(db, site, prev_start, prev_start + max(0, now - start))
    r = summarize(hours, before, cal, period, by, exclude_days, site)
    return replace(r, rollups_through=mark, partial=now < end)
