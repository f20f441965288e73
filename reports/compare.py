"""Two periods, or two layout versions, side by side per zone: did a layout change help?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import ReportSettings
from reports.hours import FIRST_DAY, LAST_DAY, Period, ReportRangeError
from reports.utilization import Use, UtilizationReport, utilization
from reports.versions import Versions


@dataclass(frozen=True)
class ZoneChange:
    """One zone before and after, and the change, or why it cannot be told.

    A side is None for a zone its period's layout versions do not have. The
    change is None ("cannot tell", never 0.0) unless both sides have the zone
    and at least report.min_known_share of their opening hours known.
    """

    zone: str
    before: Use | None
    after: Use | None
    mean_vs_capacity_change: float | None = None  # after - before
    occupied_share_change: float | None = None
    cannot_tell: str | None = None


@dataclass(frozen=True)
class Side:
    """One period of a comparison: its days, the layout versions they counted with,
    and how many days were counted (happened, and not left out)."""

    first: date
    last: date
    versions: list[int]
    days: int


@dataclass(frozen=True)
class CompareReport:
    before: Side
    after: Side
    zones: list[ZoneChange]
    excluded_days: list[date]
    exclusion: str | None = None  # what leaving event days out did


def _why_not(name: str, u: Use | None, cfg: ReportSettings) -> str | None:
    if u is None:
        return f"not in the layout {name}"
    if not u.open_h:
        return f"no opening hours {name}"
    known = 1 - (u.unknown_share or 0.0)
    if known < cfg.min_known_share:
        return (f"{known:.0%} of opening hours known {name}, under {cfg.min_known_share:.0%} "
                "(report.min_known_share)")
    return None


def change(zone: str, before: Use | None, after: Use | None, cfg: ReportSettings) -> ZoneChange:
    """The change of one zone, or the reason it cannot be told."""
    why = [w for w in (_why_not("before", before, cfg), _why_not("after", after, cfg)) if w]
    if why or before is None or after is None:
        return ZoneChange(zone, before, after, cannot_tell="; ".join(why))

    def diff(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else b - a

    return ZoneChange(zone, before, after,
                      diff(before.mean_vs_capacity, after.mean_vs_capacity),
                      diff(before.occupied_share, after.occupied_share))


def around(effective_from: date, days: int) -> tuple[Period, Period]:
    """The `days` before a layout took effect, and the `days` from it on."""
    if not FIRST_DAY <= effective_from <= LAST_DAY or days < 1:
        raise ReportRangeError(f"a layout change on {effective_from} with {days} days "
                               f"is outside {FIRST_DAY}..{LAST_DAY}")
    return (Period(effective_from - timedelta(days=days), effective_from - timedelta(days=1)),
            Period(effective_from, effective_from + timedelta(days=days - 1)))


def _side(r: UtilizationReport) -> Side:
    return Side(r.period.first, r.period.last, sorted({v.version for v in r.versions}),
                sum((v.last - v.first).days + 1 for v in r.versions))


def compare(db: InfluxV1, versions: Layout | Versions, cfg: ReportSettings, before: Period,
            after: Period, exclude_days: frozenset[date] = frozenset(),
            now_ms: int | None = None) -> CompareReport:
    """Per zone: utilization in `before` and in `after`, each day with its own layout version.

    Every zone of either side is listed; a side's capacity is that of its versions.
    """
    a = utilization(db, versions, cfg, before, exclude_days, now_ms, detail=False)
    b = utilization(db, versions, cfg, after, exclude_days, now_ms, detail=False)
    za, zb = {u.id: u for u in a.zones}, {u.id: u for u in b.zones}
    excluded = sorted({*a.excluded_days, *b.excluded_days})
    return CompareReport(
        _side(a), _side(b),
        [change(z, za.get(z), zb.get(z), cfg) for z in [*za, *(z for z in zb if z not in za)]],
        excluded, "days with registered events are left out of both periods" if excluded
        else None)


@dataclass(frozen=True)
class Sides:
    """What a compare request resolved to: two periods."""

    before: Period
    after: Period


def sides(versions: Versions, cfg: ReportSettings, today: date, days: int,
          periods: tuple[Period, Period] | None = None, layout_change: date | None = None,
          pair: tuple[int, int] | None = None) -> Sides:
    """Resolve exactly one of: two periods, a layout-change day, or two layout versions
    (the last `days` of the older one and the first `days` of the newer)."""
    given = [periods is not None, layout_change is not None, pair is not None]
    if sum(given) != 1:
        raise ReportRangeError(("give only one of " if any(given) else "give ") +
                               "two periods (before and after), a layout change day, "
                               "or two layout versions")
    if pair is not None:
        before, after = versions.periods(*pair, days, today)
    else:
        before, after = periods or around(layout_change or today, days)
    return Sides(before.check(cfg.max_range_days), after.check(cfg.max_range_days))
