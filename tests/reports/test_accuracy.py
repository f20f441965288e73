"""Accuracy checks: headcounts stored beside what hubsense showed, and the errors by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, ReportSettings, Settings
from reports.accuracy import Accuracy, CheckError, sensor_kind
from reports.hours import Period, to_ms
from reports.service import ReportService
from tests.reports.seed import Seeder

pytestmark = pytest.mark.services
STHLM = ZoneInfo("Europe/Stockholm")
TUE = date(2026, 11, 17)


def at(hh: int, mm: int = 0) -> int:
    return to_ms(datetime(2026, 11, 17, hh, mm, tzinfo=STHLM))


@pytest.fixture
def svc(influx_settings: InfluxSettings, layout: Layout) -> Iterator[ReportService]:
    s = Seeder(layout)
    s.zone(at(8), "buzz-north", 4)
    s.zone(at(10), "buzz-north", 9)
    s.zone(at(12), "buzz-north", 2, stale=True)  # a lower bound: unknown to reports
    s.zone(at(12, 30), "buzz-north", 6)
    s.zone(at(9), "quiet", 3)
    with InfluxV1(influx_settings) as db:
        s.write(db)
        yield ReportService(db, layout, Settings(report=ReportSettings()),
                            clock=lambda: at(23) / 1000)


def test_what_counts_people_in_a_zone(layout: Layout) -> None:
    assert [sensor_kind(layout, z) for z in ("buzz-north", "quiet", "meet-a", "entrance")] == [
        "count", "desks", "count", None]


def test_checks_are_stored_beside_what_hubsense_showed(svc: ReportService) -> None:
    first = svc.record_check("buzz-north", 5, "2026-11-17T09:00")
    assert (first.sensor, first.sensor_people, first.error) == ("count", 4, -1)
    assert first.at.isoformat() == "2026-11-17T09:00:00+01:00"
    svc.record_check("buzz-north", 12, "2026-11-17T11:00")
    stale = svc.record_check("buzz-north", 7, "2026-11-17T12:15")
    assert (stale.sensor_people, stale.error) == (None, None)
    svc.record_check("quiet", 3, "2026-11-17T10:00")
    assert [(c.zone, c.people, c.sensor_people) for c in svc.checks()] == [
        ("buzz-north", 5, 4), ("quiet", 3, 3), ("buzz-north", 12, 9), ("buzz-north", 7, None)]

    r = svc.accuracy(Period(TUE, TUE))
    assert r.tolerance == 1
    assert r.zones == [Accuracy("count", 3, 2, -2.0, 2.0, 0.5, zone="buzz-north"),
                       Accuracy("desks", 1, 1, 0.0, 0.0, 1.0, zone="quiet")]
    assert r.sensors == [Accuracy("count", 3, 2, -2.0, 2.0, 0.5),
                         Accuracy("desks", 1, 1, 0.0, 0.0, 1.0)]


@pytest.mark.parametrize(("zone", "people", "when", "message"), [
    ("buzz-north", 3, "2026-11-18T09:00", "cannot be in the future"),
    ("nowhere", 3, "2026-11-17T09:00", "no zone 'nowhere' to count people in"),
    ("entrance", 3, "2026-11-17T09:00", "no zone 'entrance' to count people in"),
    ("buzz-north", -1, "2026-11-17T09:00", "people must be 0..10000"),
])
def test_checks_that_cannot_be_recorded_say_why(svc: ReportService, zone: str, people: int,
                                                when: str, message: str) -> None:
    with pytest.raises(CheckError, match=message):
        svc.record_check(zone, people, when)
