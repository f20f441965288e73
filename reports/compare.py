"""Two periods side by side per zone: did a layout change help?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import ReportSettings
from reports.hours import FIRST_DAY, LAST_DAY, Period, ReportRangeError
from reports.utilization import Use, utilization


@dataclass(frozen=True)
class ZoneChange:
    zone: str
    before: Use
    after: Use

    @property
    def mean_vs_capacity_change(self) -> float | None:
        a, b = self.before.mean_vs_capacity, self.after.mean_vs_capacity
        return None if a is None or b is None else b - a

    @property
    def occupied_share_change(self) -> float | None:
        a, b = self.before.occupied_share, self.after.occupied_share
        return None if a is None or b is None else b - a


def around(effective_from: date, days: int) -> tuple[Period, Period]:
    """The `days` before a layout took effect, and the `days` from it on."""
    if not FIRST_DAY <= effective_from <= LAST_DAY or days < 1:
        raise ReportRangeError(f"a layout change on {effective_from} with {days} days "
                               f"is outside {FIRST_DAY}..{LAST_DAY}")
    return (Period(effective_from - timedelta(days=days), effective_from - timedelta(days=1)),
            Period(effective_from, effective_from + timedelta(days=days - 1)))


def compare(db: InfluxV1, layout: Layout, cfg: ReportSettings, before: Period, after: Period,
            exclude_days: frozenset[date] = frozenset()) -> list[ZoneChange]:
    """Per zone of `layout`: utilization in `before` and in `after`."""
    a = {u.id: u for u in utilization(db, layout, cfg, before, exclude_days).zones}
    b = {u.id: u for u in utilization(db, layout, cfg, after, exclude_days).zones}
    return [ZoneChange(z, a[z], b[z]) for z in b if z in a]
