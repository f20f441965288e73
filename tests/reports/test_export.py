"""CSV exports are safe to open in a spreadsheet: formula-like text defused, numbers kept."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from hubsense.settings import ReportSettings
from reports.compare import CompareReport, Side, change
from reports.events import Event, EventInfo, EventReport, ZoneDuring
from reports.export import cell, compare_csv, event_list_csv, events_csv
from reports.hours import Calendar
from reports.utilization import Use

FORMULA = '=HYPERLINK("http://x","y")'
CAL = Calendar.from_settings(ReportSettings(), "Europe/Stockholm")


@pytest.mark.parametrize(("text", "cell_text"), [
    (FORMULA, "'" + FORMULA), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTab", "'\tTab"), ("\r=1", "'\r=1"), ("Demo night", "Demo night"), ("a=b", "a=b"),
    ("'quoted", "'quoted"), ("", "")])
def test_text_that_starts_a_formula_gets_a_quote(text: str, cell_text: str) -> None:
    assert cell(text) == cell_text


def test_numbers_stay_numbers() -> None:
    assert [cell(v) for v in (-0.275, -3, 0.123456, 12, None)] == [-0.275, -3, 0.1235, 12, ""]


def test_event_csvs_parse_back_to_the_defused_name_in_local_time() -> None:
    ev = EventInfo.of(Event("hyperlink-20261118", FORMULA, 1795021200000, 1795032000000,
                            ("buzz-north",)), CAL)
    [row] = list(csv.DictReader(io.StringIO(event_list_csv([ev]))))
    assert row["name"] == "'" + FORMULA and row["event"] == "hyperlink-20261118"
    assert (row["start"], row["end"]) == ("2026-11-18T18:00:00+01:00", "2026-11-18T21:00:00+01:00")
    rep = EventReport(ev, 12, [ZoneDuring("buzz-north", 30.0, 30, 0.0)])
    [row] = list(csv.DictReader(io.StringIO(events_csv([rep]))))
    assert (row["name"], row["visits"], row["peak"]) == ("'" + FORMULA, "12", "30")


def test_negative_changes_are_numbers_not_text() -> None:
    use = Use("buzz-north", "buzz-north", 24, 10.0, 9.0, 1.0, 0.0, 0.9, 0.0, 6.6, 0.275)
    after = Use("buzz-north", "buzz-north", 24, 10.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    side = Side(date(2026, 11, 17), date(2026, 11, 17), [1], 1)
    r = CompareReport(side, side, [change("buzz-north", use, after, ReportSettings())], [])
    [row] = list(csv.DictReader(io.StringIO(compare_csv(r))))
    assert (row["change"], row["occupied_share_change"]) == ("-0.275", "-0.9")
