"""Utilization per zone and desk over a period, from the rollups.

Shares are of *opening hours*; unknown time is its own share, never free.
Means are over known time only, so a dead sensor lowers coverage, not usage.
Each day counts with the layout version in force that day: its zones, desks
and capacities (people / capacity is summed as person-seconds over
capacity-seconds, so a capacity change mid-period weighs each day right).

Whole months are read from the monthly rollups, the rest from the daily and
hourly ones: the same sums, fewer points.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hubsense.influx import InfluxV1
from hubsense.layout import Layout, ZoneKind
from hubsense.measurements import ZONE_DAY, ZONE_MONTH
from hubsense.settings import ReportSettings
from reports.highlights import Highlight, highlight
from reports.hours import DAY_NAMES, HOUR_MS, Calendar, Period, consecutive, whole_months
from reports.rollup import REPORT_DESK_FIELDS, ZoneSums, read_zone_sums, watermark
from reports.source import window
from reports.versions import Versions

H = 3600.0


@dataclass(frozen=True)
class Use:
    """One zone or desk over a period; hours are within opening hours."""

    id: str
    zone: str
    capacity: int  # of the last layout version in the period that has it
    open_h: float
    occupied_h: float
    free_h: float
    unknown_h: float
    occupied_share: float | None  # of opening hours
    unknown_share: float | None
    mean_occupancy: float | None = None  # people, while known, in opening hours
    mean_vs_capacity: float | None = None  # each day against its own version's capacity
    peak: int | None = None
    peak_vs_capacity: float | None = None
    flag: str | None = None  # underused | overused | insufficient_data
    flag_reason: str | None = None  # why insufficient_data, in words
    known_outside_h: float = 0.0  # known hours outside opening hours (not counted)


@dataclass(frozen=True)
class HourOfWeek:
    how: int  # 0 = Monday 00:00-01:00 local
    label: str  # "Tue 12:00"
    mean_occupancy: float


@dataclass(frozen=True)
class VersionDays:
    """A layout version and the days of the period it counted for."""

    version: int
    first: date
    last: date


@dataclass
class UtilizationReport:
    site: str
    period: Period
    excluded_days: list[date]
    zones: list[Use]
    desks: list[Use]
    # zone -> 168 mean people counts (Monday 00h first), None where nothing was known
    profile: dict[str, list[float | None]] = field(default_factory=dict)
    busiest: dict[str, list[HourOfWeek]] = field(default_factory=dict)
    # End of the rolled-up days (local): later hours count as unknown until a rollup runs.
    rollups_through: datetime | None = None
    versions: list[VersionDays] = field(default_factory=list)
    opening_hours: str = ""
    # The period is not over: counted to `counted_through` (local), nothing after it.
    in_progress: bool = False
    counted_through: datetime | None = None
    # What leaving event days out did (None: nothing was left out).
    exclusion: str | None = None
    # Per zone, its busiest weekdays and hours and how full it was then.
    highlights: list[Highlight] = field(default_factory=list)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def describe_opening(cfg: ReportSettings) -> str:
    """Opening hours in a few words: `mon-fri 08:00-18:00`, holidays closed."""
    spans: dict[str, list[str]] = {}
    for day in DAY_NAMES:
        if day in cfg.opening_hours:
            spans.setdefault(cfg.opening_hours[day], []).append(day)
    parts = []
    for span, days in spans.items():
        idx = [DAY_NAMES.index(d) for d in days]
        run = idx == list(range(idx[0], idx[0] + len(idx))) and len(idx) > 2
        parts.append(f"{days[0]}-{days[-1]} {span}" if run else f"{','.join(days)} {span}")
    return "; ".join(parts) or "never open"


def make_use(ident: str, zone: str, capacity: int, s: dict[str, float], peak: int | None,
             cfg: ReportSettings, flag: bool, opening: str = "") -> Use:
    """Turn summed rollup seconds into one row; flag zones against the thresholds."""
    open_s, known, occ = (s.get("open_s", 0.0), s.get("open_known_s", 0.0),
                          s.get("open_occupied_s", 0.0))
    outside = max(0.0, s.get("known_s", known) - known)
    mean = _ratio(s.get("open_people_s", occ), known)
    vs_cap = _ratio(s.get("open_people_s", occ), s.get("open_capacity_s", known * capacity))
    verdict = reason = None
    if flag:
        if (_ratio(known, open_s) or 0.0) < cfg.min_known_share:
            verdict = "insufficient_data"
            reason = (f"known {known / H:.1f} of {open_s / H:.1f} opening hours "
                      f"({opening or 'report.opening_hours'}), under "
                      f"{cfg.min_known_share:.0%} (report.min_known_share)")
            if outside >= H / 2:
                reason += f"; {outside / H:.1f} h known outside opening hours, not counted"
        elif vs_cap is not None and vs_cap < cfg.underused_below:
            verdict = "underused"
        elif vs_cap is not None and vs_cap > cfg.overused_above:
            verdict = "overused"
    return Use(ident, zone, capacity, open_s / H, occ / H, (known - occ) / H,
               (open_s - known) / H, _ratio(occ, open_s), _ratio(open_s - known, open_s),
               mean, vs_cap, peak, None if peak is None or not capacity else peak / capacity,
               verdict, reason, outside / H)


def how_label(how: int) -> str:
    return f"{DAY_NAMES[how // 24].capitalize()} {how % 24:02d}:00"


def hour_profile(rows: dict[str, tuple[list[float], list[float]]]
                 ) -> tuple[dict[str, list[float | None]], dict[str, list[HourOfWeek]]]:
    """Mean people per hour of week from person-seconds and known seconds per hour of
    the week (168 each, Monday 00h first), and the 3 busiest hours."""
    profile: dict[str, list[float | None]] = {}
    busiest: dict[str, list[HourOfWeek]] = {}
    for zone, (people, known) in rows.items():
        prof = [p / k if k > 0 else None for p, k in zip(people, known, strict=True)]
        profile[zone] = prof
        ranked = sorted(((h, m) for h, m in enumerate(prof) if m), key=lambda x: (-x[1], x[0]))
        busiest[zone] = [HourOfWeek(h, how_label(h), m) for h, m in ranked[:3]]
    return profile, busiest


class _Sums:
    """Rollup sums per zone (with its hour-of-week profile and its desks)."""

    def __init__(self, db: InfluxV1, site: str, detail: bool) -> None:
        self.db, self.site, self.detail = db, site, detail
        self.zones: dict[str, ZoneSums] = {}

    def read(self, zones: str, start_ms: int, end_ms: int) -> None:
        """Add the rollups of [start, end) from this zone measurement (day or month)."""
        read_zone_sums(self.db, zones, window(self.site, start_ms, end_ms), into=self.zones,
                       detail=self.detail)

    def desks(self) -> dict[str, dict[str, float]]:
        """Per desk, its sums (a desk may have moved zones between versions)."""
        out: dict[str, list[float]] = {}
        for z in self.zones.values():
            for desk, values in z.desks.items():
                acc = out.setdefault(desk, [0.0] * len(values))
                for i, v in enumerate(values):
                    acc[i] += v
        return {d: dict(zip(REPORT_DESK_FIELDS, v, strict=True)) for d, v in out.items()}

    def profile(self, zones: Iterable[str]) -> dict[str, tuple[list[float], list[float]]]:
        return {z: (self.zones[z].people, self.zones[z].known) for z in zones if z in self.zones}


def utilization(db: InfluxV1, layout: Layout | Versions, cfg: ReportSettings, period: Period,
                exclude_days: frozenset[date] = frozenset(), now_ms: int | None = None,
                use_months: bool = True, detail: bool = True) -> UtilizationReport:
    """Utilization of every zone and desk over `period`, leaving `exclude_days` out.

    Hours from the last whole hour before `now` on have not happened yet: they
    count neither as opening hours nor as unknown. `use_months=False` reads only
    the daily and hourly rollups (the benchmark's baseline). Without `detail`, zones
    only: no desks, no hour-of-week profile, no highlights (what a comparison needs).
    """
    period.check(cfg.max_range_days)
    versions = layout if isinstance(layout, Versions) else Versions.of(layout)
    current = versions.current
    site = current.site.id
    now = int(time.time() * 1000) if now_ms is None else now_ms
    mark = watermark(db, site)
    cal = Calendar.from_settings(cfg, current.site.timezone)
    start, end = period.bounds(cal)
    # Not past what has happened (nor past the rollups, should a clock lag behind them).
    cut = max(start, min(end, max(now - now % HOUR_MS, mark or 0)))
    days = [d for d in (period.first + timedelta(days=i) for i in range(period.days))
            if d not in exclude_days and cal.midnight_ms(d) < cut]
    # Every zone and desk of a version in force on some day of the period, in the
    # latest such version's order; the capacity shown is the latest that has it.
    capacity: dict[str, int] = {}
    zone_of: dict[str, str] = {}
    found = _in_force(versions, period)
    for lay in reversed(found):  # the latest version's order and capacities first
        capacity.update({z.id: z.capacity for z in lay.zones
                         if z.kind is not ZoneKind.ENTRANCE and z.id not in capacity})
        zone_of.update({d.id: d.zone for d in lay.desks if d.id not in zone_of})
    # Opening hours from the calendar, per version: a stretch never rolled up is
    # unknown, not absent.
    open_s = dict.fromkeys([*capacity, *zone_of], 0.0)
    spans: list[VersionDays] = []
    for run in versions.runs(days):
        lay = versions.in_force(run.first)
        a, b = cal.midnight_ms(run.first), min(cal.midnight_ms(run.last + timedelta(days=1)), cut)
        seconds = sum(y - x for x, y in cal.open_spans(a, b)) / 1000
        for ident in [*(z.id for z in lay.zones if z.kind is not ZoneKind.ENTRANCE),
                      *(d.id for d in lay.desks)]:
            open_s[ident] += seconds
        spans.append(VersionDays(lay.version, run.first, run.last))
    got = _Sums(db, site, detail)
    if mark is not None:  # else nothing rolled up yet (not even the policy): all unknown
        counted = set(days)
        months = [m for m in whole_months(period) if use_months and
                  all(m.first + timedelta(days=i) in counted for i in range(m.days))]
        in_months = {m.first + timedelta(days=i) for m in months for i in range(m.days)}
        for run in consecutive(m.first + timedelta(days=i) for m in months for i in range(m.days)):
            got.read(ZONE_MONTH, *run.bounds(cal))
        for run in consecutive(d for d in days if d not in in_months):
            a, b = run.bounds(cal)
            got.read(ZONE_DAY, a, min(b, cut))
    opening = describe_opening(cfg)
    empty = ZoneSums()
    zones = [make_use(z, z, cap, {**got.zones.get(z, empty).sums, "open_s": open_s[z]},
                      got.zones.get(z, empty).peaks.get("open_peak"), cfg, flag=True,
                      opening=opening)
             for z, cap in capacity.items()]
    desk_sums = got.desks()
    desks = [make_use(d, zone, 1, {**desk_sums.get(d, {}), "open_s": open_s[d]}, None,
                      cfg, flag=False, opening=opening)
             for d, zone in zone_of.items() if detail]
    profile, busiest = hour_profile(got.profile(capacity))
    excluded = sorted(exclude_days & _days(period))
    found_highlights = [h for z, cap in capacity.items() if z in profile
                        and (h := highlight(z, profile[z], cap, cal.open_hours_of)) is not None]
    return UtilizationReport(
        site, period, excluded, zones, desks, profile, busiest,
        None if mark is None else cal.local(mark), spans, opening, cut < end, cal.local(cut),
        "days with registered events are left out of every figure" if excluded else None,
        found_highlights)


def _in_force(versions: Versions, period: Period) -> list[Layout]:
    """The layout versions in force on some day of the period, oldest first."""
    found: list[Layout] = []
    for i in range(period.days):
        lay = versions.in_force(period.first + timedelta(days=i))
        if not any(lay is f for f in found):
            found.append(lay)
    return found


def _days(p: Period) -> frozenset[date]:
    return frozenset(p.first + timedelta(days=i) for i in range(p.days))
