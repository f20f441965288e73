"""What a report cannot know it says so: compare's "cannot tell", why data is insufficient."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, ReportSettings, Settings
from reports.hours import Period, to_ms
from reports.rollup import Rollup
from reports.service import CompareQuery, ReportService
from tests.reports.seed import Seeder

pytestmark = pytest.mark.services
STHLM = ZoneInfo("Europe/Stockholm")
MON, TUE, WED = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)


def at(d: date, hh: int, mm: int = 0) -> int:
    return to_ms(datetime(d.year, d.month, d.day, hh, mm, tzinfo=STHLM))


@pytest.fixture
def svc(influx_settings: InfluxSettings, layout: Layout) -> Iterator[ReportService]:
    s = Seeder(layout)
    s.zone(at(MON, 7), "buzz-north", 6)  # known all of Tuesday: 6 people
    s.zone(at(WED, 8), "buzz-north", 2, stale=True)  # Wednesday: 2 h known of 10
    s.zone(at(WED, 16), "buzz-north", 12)
    s.zone(at(TUE, 18), "meet-a", 5)  # only an evening meeting on Tuesday
    s.zone(at(TUE, 21), "meet-a", 0)
    s.zone(at(WED, 0), "meet-a", 0, stale=True)
    with InfluxV1(influx_settings) as db:
        s.write(db)
        Rollup(db, layout, ReportSettings()).run(MON, WED)
        yield ReportService(db, layout, Settings(), clock=lambda: at(date(2026, 11, 20), 0) / 1000)


def test_compare_cannot_tell_where_a_side_knows_too_little(svc: ReportService) -> None:
    r = svc.compare(CompareQuery(Period(TUE, TUE), Period(WED, WED)))
    bn = next(c for c in r.zones if c.zone == "buzz-north")
    assert bn.before is not None and bn.after is not None
    assert bn.before.mean_vs_capacity == pytest.approx(6 / 24)
    assert bn.after.mean_vs_capacity == pytest.approx(12 / 24)  # what was known: 16-18
    assert (bn.mean_vs_capacity_change, bn.occupied_share_change) == (None, None)
    assert bn.cannot_tell == ("20% of opening hours known after, under 50% "
                              "(report.min_known_share)")
    quiet = next(c for c in r.zones if c.zone == "quiet")
    assert quiet.mean_vs_capacity_change is None
    assert quiet.cannot_tell == (
        "0% of opening hours known before, under 50% (report.min_known_share); "
        "0% of opening hours known after, under 50% (report.min_known_share)")
    same = svc.compare(CompareQuery(Period(TUE, TUE), Period(TUE, TUE))).zones
    assert next(c for c in same if c.zone == "buzz-north").mean_vs_capacity_change == 0.0


def test_an_evening_of_data_says_why_it_is_insufficient(svc: ReportService) -> None:
    meet = next(u for u in svc.utilization(Period(TUE, TUE)).zones if u.id == "meet-a")
    assert (meet.flag, meet.known_outside_h, meet.mean_occupancy) == (
        "insufficient_data", 6, None)
    assert meet.flag_reason == (
        "known 0.0 of 10.0 opening hours (mon-fri 08:00-18:00), under 50% "
        "(report.min_known_share); 6.0 h known outside opening hours, not counted")
