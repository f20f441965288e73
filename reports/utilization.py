"""Utilization per zone and desk over a period, from the rollups.

Shares are of *opening hours*; unknown time is its own share, never free.
Means are over known time only, so a dead sensor lowers coverage, not usage.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hubsense.influx import InfluxV1
from hubsense.layout import Layout, ZoneKind
from hubsense.measurements import DESK_DAY, ZONE_HOUR
from hubsense.measurements import in_rollup_rp as measurement
from hubsense.settings import ReportSettings
from reports.hours import HOUR_MS, Calendar, Period, to_ms
from reports.rollup import watermark
from reports.source import WHERE, window

H = 3600.0
_DESKS, _ZONES = measurement(DESK_DAY), measurement(ZONE_HOUR)
_DESK_FIELDS = ("open_known_s", "open_occupied_s")
_ZONE_FIELDS = ("open_known_s", "open_occupied_s", "open_people_s", "people_s", "known_s")


def _sums(fields: tuple[str, ...]) -> str:
    return ", ".join(f"sum({f}) AS {f}" for f in fields)


@dataclass(frozen=True)
class Use:
    """One zone or desk over a period; hours are within opening hours."""

    id: str
    zone: str
    capacity: int
    open_h: float
    occupied_h: float
    free_h: float
    unknown_h: float
    occupied_share: float | None  # of opening hours
    unknown_share: float | None
    mean_occupancy: float | None = None  # people, while known, in opening hours
    mean_vs_capacity: float | None = None
    peak: int | None = None
    peak_vs_capacity: float | None = None
    flag: str | None = None  # underused | overused | insufficient_data


@dataclass
class UtilizationReport:
    site: str
    period: Period
    excluded_days: list[date]
    zones: list[Use]
    desks: list[Use]
    # zone -> 168 mean people counts (Monday 00h first), None where nothing was known
    profile: dict[str, list[float | None]] = field(default_factory=dict)
    busiest: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    # End of the rolled-up days: later hours count as unknown until `hubsense rollup` runs.
    rollups_through: datetime | None = None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def make_use(ident: str, zone: str, capacity: int, s: dict[str, float], peak: int | None,
             cfg: ReportSettings, flag: bool) -> Use:
    """Turn summed rollup seconds into one row; flag zones against the thresholds."""
    open_s, known, occ = s.get("open_s", 0.0), s.get("open_known_s", 0.0), \
        s.get("open_occupied_s", 0.0)
    mean = _ratio(s.get("open_people_s", occ), known)
    vs_cap = None if mean is None or capacity == 0 else mean / capacity
    verdict = None
    if flag:
        if (_ratio(known, open_s) or 0.0) < cfg.min_known_share:
            verdict = "insufficient_data"
        elif vs_cap is not None and vs_cap < cfg.underused_below:
            verdict = "underused"
        elif vs_cap is not None and vs_cap > cfg.overused_above:
            verdict = "overused"
    return Use(ident, zone, capacity, open_s / H, occ / H, (known - occ) / H,
               (open_s - known) / H, _ratio(occ, open_s), _ratio(open_s - known, open_s),
               mean, vs_cap, peak, None if peak is None or not capacity else peak / capacity,
               verdict)


def hour_profile(rows: dict[str, dict[int, tuple[float, float]]]
                 ) -> tuple[dict[str, list[float | None]], dict[str, list[tuple[int, float]]]]:
    """Mean people per hour of week from (people_s, known_s), and the 3 busiest hours."""
    profile: dict[str, list[float | None]] = {}
    busiest: dict[str, list[tuple[int, float]]] = {}
    for zone, by_how in rows.items():
        prof = [_ratio(*by_how.get(h, (0.0, 0.0))) for h in range(168)]
        profile[zone] = prof
        ranked = sorted(((h, m) for h, m in enumerate(prof) if m), key=lambda x: (-x[1], x[0]))
        busiest[zone] = ranked[:3]
    return profile, busiest


def _add(acc: dict[str, float], row: dict[str, Any]) -> None:
    for k, v in row.items():
        if k not in ("time", "peak") and v is not None:
            acc[k] = acc.get(k, 0.0) + float(v)


def utilization(db: InfluxV1, layout: Layout, cfg: ReportSettings, period: Period,
                exclude_days: frozenset[date] = frozenset(),
                now_ms: int | None = None) -> UtilizationReport:
    """Utilization of every zone and desk over `period`, leaving `exclude_days` out.

    Hours from the last whole hour before `now` on have not happened yet: they
    count neither as opening hours nor as unknown.
    """
    period.check(cfg.max_range_days)
    now = int(time.time() * 1000) if now_ms is None else now_ms
    mark = through(db, layout.site.id)
    cal = Calendar.from_settings(cfg, layout.site.timezone)
    site = layout.site.id
    desk_sums: dict[str, dict[str, float]] = {}
    zone_sums: dict[str, dict[str, float]] = {}
    peaks: dict[str, int] = {}
    how: dict[str, dict[int, tuple[float, float]]] = {}
    # Only the fields a report needs: InfluxDB 1.x pays per series and field.
    desk_q = (f"SELECT {_sums(_DESK_FIELDS)} FROM {_DESKS} WHERE {WHERE} GROUP BY desk")
    # One pass over the zone hours: totals are the sum over the hours of the week.
    zone_q = (f"SELECT {_sums(_ZONE_FIELDS)}, max(open_peak) AS peak FROM {_ZONES} "
              f"WHERE {WHERE} GROUP BY zone, how")
    open_s = 0.0  # from the calendar: a stretch never rolled up is unknown, not absent
    for run in period.runs_without(exclude_days):
        start, end = run.bounds(cal)
        # Not past what has happened (nor past the rollups, should a clock lag behind them).
        end = min(end, max(now - now % HOUR_MS, to_ms(mark) if mark else 0))
        if start >= end:
            break
        open_s += sum(b - a for a, b in cal.open_spans(start, end)) / 1000
        if mark is None:  # nothing rolled up yet (not even the policy): all unknown
            continue
        params = window(site, start, end)
        for s in db.query(desk_q, params):
            _add(desk_sums.setdefault(s.tags["desk"], {}), s.rows()[0])
        for s in db.query(zone_q, params):
            zone, h, row = s.tags["zone"], int(s.tags["how"]), s.rows()[0]
            _add(zone_sums.setdefault(zone, {}), row)
            if row["peak"] is not None:
                peaks[zone] = max(peaks.get(zone, 0), int(row["peak"]))
            by = how.setdefault(zone, {})
            p, k = by.get(h, (0.0, 0.0))
            by[h] = (p + float(row["people_s"] or 0), k + float(row["known_s"] or 0))
    zones = [make_use(z.id, z.id, z.capacity, {**zone_sums.get(z.id, {}), "open_s": open_s},
                      peaks.get(z.id), cfg, flag=True)
             for z in layout.zones if z.kind is not ZoneKind.ENTRANCE]
    desks = [make_use(d.id, d.zone, 1, {**desk_sums.get(d.id, {}), "open_s": open_s}, None, cfg,
                      flag=False)
             for d in layout.desks]
    profile, busiest = hour_profile(how)
    return UtilizationReport(site, period, sorted(exclude_days & _days(period)), zones, desks,
                             profile, busiest, mark)


def through(db: InfluxV1, site: str) -> datetime | None:
    """The rollups' watermark as a UTC time, for a report to say how far it can see."""
    mark = watermark(db, site)
    return None if mark is None else datetime.fromtimestamp(mark / 1000, UTC)


def _days(p: Period) -> frozenset[date]:
    return frozenset(p.first + timedelta(days=i) for i in range(p.days))
