"""Durations from state changes, against hand-computed days (Europe/Stockholm)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from hubsense.settings import ReportSettings
from reports.hours import HOUR_MS, Calendar, to_ms
from reports.spans import Span, bucket_totals, spans_from_changes

STHLM = ZoneInfo("Europe/Stockholm")
H = HOUR_MS
CAL = Calendar.from_settings(ReportSettings(), "Europe/Stockholm")  # Mon-Fri 08-18


def at(d: date, hh: int, mm: int = 0) -> int:
    return to_ms(datetime(d.year, d.month, d.day, hh, mm, tzinfo=STHLM))


TUE = date(2026, 11, 17)


def test_spans_carry_the_state_in_and_keep_unknown_apart() -> None:
    a, b = at(TUE, 0), at(TUE, 24 - 1, 0) + H
    changes = [(at(TUE, 9), 1), (at(TUE, 11, 30), 0), (at(TUE, 13), 1), (at(TUE, 14), None),
               (at(TUE, 15), 0), (at(TUE, 15, 30), 0)]
    spans = spans_from_changes(changes, a, b, initial=0)
    assert spans == [Span(a, at(TUE, 9), 0), Span(at(TUE, 9), at(TUE, 11, 30), 1),
                     Span(at(TUE, 11, 30), at(TUE, 13), 0), Span(at(TUE, 13), at(TUE, 14), 1),
                     Span(at(TUE, 14), at(TUE, 15), None), Span(at(TUE, 15), b, 0)]


def test_no_change_before_the_start_is_unknown_not_free() -> None:
    a = at(TUE, 8)
    assert spans_from_changes([(at(TUE, 9), 0)], a, at(TUE, 10)) == [
        Span(a, at(TUE, 9), None), Span(at(TUE, 9), at(TUE, 10), 0)]


def test_a_desk_day_in_and_out_of_opening_hours() -> None:
    a, b = CAL.midnight_ms(TUE), CAL.midnight_ms(date(2026, 11, 18))
    # free, occupied 09:00-11:30 (2.5 h), free, occupied 13:00-14:00, unknown 14-15,
    # occupied again 19:00-20:00 (after closing)
    changes = [(at(TUE, 9), 1), (at(TUE, 11, 30), 0), (at(TUE, 13), 1), (at(TUE, 14), None),
               (at(TUE, 15), 0), (at(TUE, 19), 1), (at(TUE, 20), 0)]
    [t] = bucket_totals(spans_from_changes(changes, a, b, 0), [a, b], CAL.open_spans(a, b))
    assert t.span_ms == 24 * H
    assert t.open_ms == 10 * H
    assert t.open_occupied_ms == int(3.5 * H)
    assert t.open_unknown_ms == 1 * H
    assert t.open_known_ms - t.open_occupied_ms == int(5.5 * H)  # free
    assert t.occupied_ms == int(4.5 * H)
    assert t.unknown_ms == 1 * H
    assert t.open_peak == 1


def test_zone_hours_count_people_time_and_peak() -> None:
    a = at(TUE, 9)
    hours = [a, a + H, a + 2 * H]
    # 4 people 09:00-09:30, 10 people 09:30-10:15, unknown 10:15-10:45, 2 people to 11:00
    spans = spans_from_changes([(a + H // 2, 10), (a + 5 * H // 4, None), (a + 7 * H // 4, 2)],
                               a, a + 2 * H, initial=4)
    first, second = bucket_totals(spans, hours, CAL.open_spans(a, a + 2 * H))
    assert first.people_ms == 4 * H // 2 + 10 * H // 2
    assert first.known_ms == H
    assert first.open_peak == 10
    assert second.people_ms == 10 * H // 4 + 2 * H // 4
    assert second.known_ms == H // 2
    assert second.unknown_ms == H // 2
    assert second.peak == 10


def test_spring_forward_day_is_23_hours_and_still_opens_9() -> None:
    sun = date(2026, 3, 29)  # clocks go 02:00 -> 03:00 in Stockholm
    cal = Calendar.from_settings(ReportSettings(opening_hours={"sun": "08:00-17:00"}),
                                 "Europe/Stockholm")
    [(d, a, b)] = list(cal.days(cal.midnight_ms(sun), cal.midnight_ms(date(2026, 3, 30))))
    assert d == sun and b - a == 23 * H
    [(o, c)] = cal.open_spans(a, b)
    assert c - o == 9 * H and o == at(sun, 8)
    hours = list(range(a, b + 1, H))
    totals = bucket_totals([Span(a, b, 1)], hours, cal.open_spans(a, b))
    assert len(totals) == 23
    assert sum(t.occupied_ms for t in totals) == 23 * H
    assert sum(t.open_occupied_ms for t in totals) == 9 * H


def test_fall_back_day_is_25_hours_and_hour_of_week_repeats_2am() -> None:
    sun = date(2026, 10, 25)  # 03:00 -> 02:00
    a, b = CAL.midnight_ms(sun), CAL.midnight_ms(date(2026, 10, 26))
    assert b - a == 25 * H
    hows = [CAL.hour_of_week(t) for t in range(a, b, H)]
    assert hows.count(6 * 24 + 2) == 2
    assert hows[0] == 6 * 24 and hows[-1] == 6 * 24 + 23
    assert CAL.open_spans(a, b) == []  # Sunday: closed by default


def test_holidays_are_closed() -> None:
    cal = Calendar.from_settings(ReportSettings(holidays=[TUE]), "Europe/Stockholm")
    a, b = cal.midnight_ms(TUE), cal.midnight_ms(date(2026, 11, 19))
    [(o, c)] = cal.open_spans(a, b)
    assert o == at(date(2026, 11, 18), 8) and c == at(date(2026, 11, 18), 18)
