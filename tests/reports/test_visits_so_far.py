"""Visits today so far: rolled-up hours, then raw door totals to now; the previous period
over exactly the same stretch; the event report counting the same window the same way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, ReportSettings, Settings
from reports.hours import Calendar, Period, to_ms
from reports.rollup import Rollup
from reports.service import EventDraft, ReportService
from reports.visits import PeakHour, same_stretch
from tests.reports.seed import Seeder

pytestmark = pytest.mark.services
STHLM = ZoneInfo("Europe/Stockholm")
CFG = ReportSettings()
CAL = Calendar.from_settings(CFG, "Europe/Stockholm")
MON, TUE, WED = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
PREV_MON, PREV_TUE, PREV_WED = date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11)
WEEK = Period(MON, date(2026, 11, 22))


def at(d: date, hh: int, mm: int = 0) -> int:
    return to_ms(datetime(d.year, d.month, d.day, hh, mm, tzinfo=STHLM))


NOW = at(WED, 15, 30)


@pytest.fixture
def svc(influx_settings: InfluxSettings, layout: Layout) -> Iterator[ReportService]:
    s = Seeder(layout)
    # The week before: 10 + 10 + 5 in by Wednesday 15:30; 6 more at 15:50, in the same
    # hour but after that moment, and 9 in the evening.
    for d, hh, mm, n in ((PREV_MON, 8, 0, 0), (PREV_MON, 9, 0, 10), (PREV_TUE, 12, 0, 20),
                         (PREV_WED, 15, 10, 25), (PREV_WED, 15, 50, 31), (PREV_WED, 18, 0, 40)):
        s.passage(at(d, hh, mm), "door-1", "aa01", n)
    # This week: the node rebooted over the weekend (new boot, from 0), again on Wednesday.
    for d, hh, mm, boot, n in ((MON, 8, 0, "bb02", 0), (MON, 9, 0, "bb02", 5),
                               (TUE, 12, 0, "bb02", 15), (TUE, 12, 0, "bb02", 15),  # twice
                               (WED, 9, 0, "bb02", 18), (WED, 14, 10, "bb02", 20),
                               (WED, 14, 40, "cc03", 4), (WED, 15, 20, "cc03", 9)):
        s.passage(at(d, hh, mm), "door-1", boot, n)
    with InfluxV1(influx_settings) as db:
        s.write(db)
        Rollup(db, layout, CFG).run(PREV_MON, WED, until_ms=at(WED, 14, 5))  # through 14:00
        yield ReportService(db, layout, Settings(report=CFG), clock=lambda: NOW / 1000)


def test_visits_count_today_so_far_and_say_so(svc: ReportService) -> None:
    r = svc.visits(WEEK)
    assert r.rollups_through == CAL.local(at(WED, 14))
    # Rolled up through 14:00: 5 + 10 + 3; then raw: 2, a reboot's 4, and 5.
    assert r.rows == [(MON, 5), (TUE, 10), (WED, 3 + 2 + 4 + 5)], "no rows for days to come"
    assert (r.total, r.in_progress, r.counted_through) == (29, True, CAL.local(NOW))
    assert r.peak_hour == PeakHour(CAL.local(at(TUE, 12)), 10)
    assert r.baseline_per_day == pytest.approx(7.5)  # whole days only: Monday and Tuesday


def test_the_trend_compares_exactly_the_same_stretch(svc: ReportService) -> None:
    r = svc.visits(WEEK)
    # The week before to Wednesday 15:30: 25, not the 31 of its whole 15:00 hour.
    assert r.previous_through == CAL.local(at(PREV_WED, 15, 30))
    assert r.previous_total == 25
    assert r.trend == pytest.approx(29 / 25 - 1)


def test_an_event_and_the_visits_report_count_the_same_window_alike(
        svc: ReportService) -> None:
    svc.add_event(EventDraft("Hack day", "2026-11-18T00:00", "2026-11-19T00:00"))
    svc.add_event(EventDraft("Open house", "2026-11-18T14:00", "2026-11-18T17:00"))
    hack, house = svc.event_reports(Period(WED, WED))
    assert (hack.event.id, hack.status, hack.visits) == ("hack-day-20261118", "in_progress", 14)
    assert hack.visits == dict(svc.visits(Period(WED, WED)).rows)[WED]
    assert (house.visits, house.counted_through) == (2 + 4 + 5, CAL.local(NOW))
    excluding = svc.visits(WEEK, exclude_events=True)
    assert (excluding.excluded_days, excluding.total) == ([WED], 29)
    assert excluding.exclusion == (
        "days with registered events are in the rows and the total, and left out of the "
        "baseline per day only (hack-day-20261118, open-house-20261118)")


def test_a_replayed_spool_is_folded_in_by_the_next_rollup(svc: ReportService,
                                                          layout: Layout) -> None:
    late = Seeder(layout)  # the collector's spool, written late: a total at Tuesday 13:00
    late.passage(at(TUE, 13), "door-1", "bb02", 17)
    late.write(svc.db)
    svc.rollup()  # catches up from the watermark less the lookback (48 h)
    r = svc.visits(WEEK)
    assert r.rows == [(MON, 5), (TUE, 12), (WED, 1 + 2 + 4 + 5)]
    assert r.total == 29


def test_the_same_stretch_keeps_the_local_time_across_a_clock_change() -> None:
    week = Period(date(2026, 10, 26), date(2026, 11, 1))  # the week before has 25-hour Sunday
    cut = at(date(2026, 10, 28), 10, 15)
    assert same_stretch(week, cut, CAL) == at(date(2026, 10, 21), 10, 15)
