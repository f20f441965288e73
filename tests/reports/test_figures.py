"""Visits, flags, profiles, periods and exports against hand-computed figures."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hubsense.settings import ReportSettings
from reports.chart import visits_svg
from reports.events import Event
from reports.export import utilization_csv, visits_csv
from reports.hours import Calendar, Period, ReportRangeError, to_ms
from reports.passages import Sample, entries
from reports.utilization import HourOfWeek, UtilizationReport, hour_profile, make_use
from reports.visits import PeakHour, summarize

STHLM = ZoneInfo("Europe/Stockholm")
CAL = Calendar.from_settings(ReportSettings(), "Europe/Stockholm")
CFG = ReportSettings()


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> int:
    return to_ms(datetime(y, m, d, hh, mm, tzinfo=STHLM))


def test_entries_recognise_reboot_and_counter_reset() -> None:
    before = Sample(0, "aa01", 100)
    samples = [Sample(1, "aa01", 105), Sample(2, "aa01", 112),
               Sample(3, "bb02", 3),    # rebooted: 3 came in since the boot
               Sample(4, "bb02", 7),
               Sample(5, "bb02", 2),    # total went down without a new boot: a reset
               Sample(6, "bb02", 2)]
    assert entries(samples, before) == [(1, 5), (2, 7), (3, 3), (4, 4), (5, 2), (6, 0)]
    assert sum(n for _t, n in entries(samples, before)) == 21


def test_first_sample_ever_counts_since_its_boot() -> None:
    assert entries([Sample(1, "cc03", 4), Sample(2, "cc03", 6)]) == [(1, 4), (2, 2)]


def test_visits_per_day_week_month_across_the_dst_change() -> None:
    p = Period(date(2026, 10, 24), date(2026, 11, 2))
    hours = {at(2026, 10, 24, 10): 5,
             at(2026, 10, 25, 0): 2,       # local midnight of the 25-hour day
             at(2026, 10, 25, 23): 3,      # its last hour, still the 25th locally
             at(2026, 10, 26, 9): 40, at(2026, 10, 26, 10): 41,
             at(2026, 11, 2, 12): 9}
    prev = {at(2026, 10, 20, 9): 50}
    r = summarize(hours, prev, CAL, p, "day", frozenset({date(2026, 10, 26)}))
    per_day = dict(r.rows)
    assert per_day[date(2026, 10, 25)] == 5
    assert per_day[date(2026, 10, 26)] == 81
    assert len(r.rows) == 10 and r.total == 100
    assert r.peak_hour == PeakHour(CAL.local(at(2026, 10, 26, 10)), 41)
    assert r.trend == pytest.approx(1.0)  # 100 against 50
    assert r.baseline_per_day == pytest.approx(19 / 9)  # the event day left out
    weeks = dict(summarize(hours, prev, CAL, p, "week").rows)
    assert weeks == {date(2026, 10, 19): 10, date(2026, 10, 26): 81, date(2026, 11, 2): 9}
    months = dict(summarize(hours, prev, CAL, p, "month").rows)
    assert months == {date(2026, 10, 1): 91, date(2026, 11, 1): 9}


def test_event_days_span_local_midnight() -> None:
    ev = Event("hack-night", "Hack night", at(2026, 11, 20, 18), at(2026, 11, 21, 2))
    assert ev.days(CAL) == {date(2026, 11, 20), date(2026, 11, 21)}
    with pytest.raises(ValueError, match="event id"):
        Event("Bad Id", "x", 0, 1)
    with pytest.raises(ValueError, match="end after"):
        Event("e", "x", 5, 5)


def test_zone_use_and_flags() -> None:
    H = 3600.0
    # 10 open hours, 8 known, people-hours 16 over them: mean 2 of capacity 20 = 0.1
    s = {"open_s": 10 * H, "open_known_s": 8 * H, "open_occupied_s": 6 * H,
         "open_people_s": 16 * H}
    u = make_use("z", "z", 20, s, 7, CFG, flag=True)
    assert (u.open_h, u.occupied_h, u.free_h, u.unknown_h) == (10, 6, 2, 2)
    assert u.occupied_share == pytest.approx(0.6)
    assert u.unknown_share == pytest.approx(0.2)
    assert u.mean_occupancy == pytest.approx(2.0)
    assert u.mean_vs_capacity == pytest.approx(0.1)
    assert u.peak_vs_capacity == pytest.approx(0.35)
    assert u.flag == "underused"
    busy = make_use("z", "z", 2, s, 3, CFG, flag=True)  # mean 2 of 2
    assert busy.flag == "overused"
    blind = make_use("z", "z", 20, {**s, "open_known_s": 4 * H}, 7, CFG, flag=True)
    assert blind.flag == "insufficient_data"
    assert make_use("z", "z", 20, {"open_s": 0.0}, None, CFG, flag=True).occupied_share is None


def test_hour_profile_and_busiest_hours() -> None:
    people, known = [0.0] * 168, [0.0] * 168
    for how, p, k in ((9, 7200.0, 3600.0), (10, 3.0 * 3600, 3600.0), (33, 1800.0, 3600.0)):
        people[how], known[how] = p, k
    profile, busiest = hour_profile({"q": (people, known)})
    assert profile["q"][9] == 2.0 and profile["q"][10] == 3.0 and profile["q"][33] == 0.5
    assert profile["q"][0] is None and len(profile["q"]) == 168
    assert busiest["q"] == [HourOfWeek(10, "Mon 10:00", 3.0), HourOfWeek(9, "Mon 09:00", 2.0),
                            HourOfWeek(33, "Tue 09:00", 0.5)]


def test_periods_split_around_skipped_days_and_refuse_long_ranges() -> None:
    p = Period(date(2026, 11, 1), date(2026, 11, 10))
    assert p.previous() == Period(date(2026, 10, 22), date(2026, 10, 31))
    runs = p.runs_without(frozenset({date(2026, 11, 1), date(2026, 11, 5), date(2026, 11, 6)}))
    assert runs == [Period(date(2026, 11, 2), date(2026, 11, 4)),
                    Period(date(2026, 11, 7), date(2026, 11, 10))]
    with pytest.raises(ReportRangeError, match="max_range_days"):
        Period(date(2025, 1, 1), date(2026, 12, 31)).check(400)
    with pytest.raises(ValueError):
        Period(date(2026, 1, 2), date(2026, 1, 1))


def test_csv_and_svg_of_visits() -> None:
    p = Period(date(2026, 11, 2), date(2026, 11, 4))
    r = summarize({at(2026, 11, 2, 9): 12, at(2026, 11, 4, 9): 30}, {}, CAL, p, "day")
    assert visits_csv(r) == "day,visits\n2026-11-02,12\n2026-11-03,0\n2026-11-04,30\n"
    svg = ET.fromstring(visits_svg(r))
    bars = [e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if e.get("class") == "bar"]
    assert len(bars) == 3
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[1] == 0 and heights[2] > heights[0] > 0
    assert heights[2] / heights[0] == pytest.approx(30 / 12, rel=1e-2)


def test_utilization_csv_columns() -> None:
    u = make_use("q-01", "quiet", 1, {"open_s": 36000.0, "open_known_s": 36000.0,
                                      "open_occupied_s": 18000.0}, None, CFG, flag=False)
    r = UtilizationReport("s", Period(date(2026, 11, 2), date(2026, 11, 2)), [], [], [u])
    rows = list(csv.DictReader(io.StringIO(utilization_csv(r))))
    assert rows[0]["kind"] == "desk" and rows[0]["occupied_share"] == "0.5"
    assert rows[0]["flag"] == ""
