"""Two periods, or two layout versions, side by side per zone: did a layout change help?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import ReportSettings
from reports.hours import FIRST_DAY, LAST_DAY, Period, ReportRangeError
from reports.utilization import Use, utilization
from reports.versions import Versions


@dataclass(frozen=True)
class ZoneChange:
    """One zone before and after; a side is None for a zone only one layout has."""

    zone: str
    before: Use | None
    after: Use | None

    @property
    def mean_vs_capacity_change(self) -> float | None:
        a = self.before.mean_vs_capacity if self.before else None
        b = self.after.mean_vs_capacity if self.after else None
        return None if a is None or b is None else b - a

    @property
    def occupied_share_change(self) -> float | None:
        a = self.before.occupied_share if self.before else None
        b = self.after.occupied_share if self.after else None
        return None if a is None or b is None else b - a


def around(effective_from: date, days: int) -> tuple[Period, Period]:
    """The `days` before a layout took effect, and the `days` from it on."""
    if not FIRST_DAY <= effective_from <= LAST_DAY or days < 1:
        raise ReportRangeError(f"a layout change on {effective_from} with {days} days "
                               f"is outside {FIRST_DAY}..{LAST_DAY}")
    return (Period(effective_from - timedelta(days=days), effective_from - timedelta(days=1)),
            Period(effective_from, effective_from + timedelta(days=days - 1)))


def compare(db: InfluxV1, layout: Layout, cfg: ReportSettings, before: Period, after: Period,
            exclude_days: frozenset[date] = frozenset(),
            after_layout: Layout | None = None) -> list[ZoneChange]:
    """Per zone: utilization in `before` (with `layout`) and in `after` (`after_layout`).

    With one layout, zones it has; with two versions, every zone of either, each
    side counted against the capacity its own version gave the zone.
    """
    a = {u.id: u for u in utilization(db, layout, cfg, before, exclude_days).zones}
    b = {u.id: u for u in utilization(db, after_layout or layout, cfg, after,
                                      exclude_days).zones}
    return [ZoneChange(z, a.get(z), b.get(z)) for z in [*a, *(z for z in b if z not in a)]]


@dataclass(frozen=True)
class Sides:
    """What a compare request resolved to: each period with the layout it is counted in."""

    before: Period
    after: Period
    before_layout: Layout
    after_layout: Layout


def sides(versions: Versions, cfg: ReportSettings, today: date, days: int,
          periods: tuple[Period, Period] | None = None, layout_change: date | None = None,
          pair: tuple[int, int] | None = None) -> Sides:
    """Resolve exactly one of: two periods, a layout-change day, or two layout versions.

    Periods and a change day are counted against the version in force on each
    period's last day; two versions against themselves.
    """
    given = [periods is not None, layout_change is not None, pair is not None]
    if sum(given) != 1:
        raise ReportRangeError(("give only one of " if any(given) else "give ") +
                               "two periods (before and after), a layout change day, "
                               "or two layout versions")
    if pair is not None:
        before, after = versions.periods(*pair, days, today)
        lay_a, lay_b = versions.get(pair[0]), versions.get(pair[1])
    else:
        before, after = periods or around(layout_change or today, days)
        lay_a, lay_b = versions.in_force(before.last), versions.in_force(after.last)
    return Sides(before.check(cfg.max_range_days), after.check(cfg.max_range_days), lay_a, lay_b)
