"""Acoustics: the share of opening hours each zone's LAeq was above its target, by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hubsense.influx import InfluxV1
from hubsense.layout import Layout, ZoneKind
from hubsense.settings import InfluxSettings, ReportSettings, Settings
from reports.acoustics import above
from reports.hours import Period, to_ms
from reports.rollup import Rollup, sound_band
from reports.service import ReportService
from tests.reports.seed import Seeder

STHLM = ZoneInfo("Europe/Stockholm")
TUE = date(2026, 11, 17)
MIN = 60_000


def at(hh: int, mm: int = 0) -> int:
    return to_ms(datetime(2026, 11, 17, hh, tzinfo=STHLM)) + mm * MIN


def test_bands_and_targets_in_whole_db() -> None:
    assert [sound_band(x) for x in (64.9, 65.0, 65.01, 66.4)] == [65, 65, 66, 67]
    # band N holds (N-1, N]: above 65 is band 66 and up
    assert above({"db_65": 60.0, "db_66": 30.0, "db_70": 5.0, "open_s": 999.0}, 65) == 35.0


@pytest.fixture
def db(influx_settings: InfluxSettings, layout: Layout) -> Iterator[InfluxV1]:
    s = Seeder(layout)
    s.sound(at(9), "buzz-n", 50.0)  # the first level: its interval is unknown, counts nothing
    for m in range(1, 31):  # each LAeq is over the minute before it
        s.sound(at(9, m), "buzz-n", 60.0)
    for m in range(31, 61):
        s.sound(at(9, m), "buzz-n", 66.4)
    s.sound(at(10, 5), "buzz-n", 70.0)  # after 5 silent minutes: unknown interval
    s.sound(at(10, 6), "buzz-n", 65.0)  # at the target: not above it
    s.sound(at(10, 7), "buzz-n", 65.1)
    for m in range(0, 11):  # loud, but after closing
        s.sound(at(19, m), "buzz-n", 80.0)
    with InfluxV1(influx_settings) as client:
        s.write(client)
        Rollup(client, layout, ReportSettings()).run(TUE, TUE)
        yield client


def service(db: InfluxV1, layout: Layout, cfg: ReportSettings) -> ReportService:
    return ReportService(db, layout, Settings(report=cfg), clock=lambda: at(23) / 1000 + 86400)


@pytest.mark.services
def test_share_of_measured_opening_hours_above_the_kinds_target(
        db: InfluxV1, layout: Layout) -> None:
    r = service(db, layout, ReportSettings()).acoustics(Period(TUE, TUE))
    north, south = r.zones
    assert (north.zone, north.kind, north.target_db) == ("buzz-north", ZoneKind.BUZZ_ZONE, 65)
    # Measured 09:00-10:00 and 10:05-10:07 (62 min); above 65: 09:30-10:00 and 10:06-10:07.
    assert (north.open_h, north.measured_h) == (10, pytest.approx(62 / 60))
    assert north.above_h == pytest.approx(31 / 60)
    assert north.above_share == pytest.approx(31 / 62)
    assert north.measured_share == pytest.approx(62 / 600)
    assert (south.zone, south.measured_h, south.above_share) == ("buzz-south", 0, None)
    assert r.opening_hours == "mon-fri 08:00-18:00"


@pytest.mark.services
def test_a_new_target_applies_to_history_without_re_rolling(db: InfluxV1,
                                                            layout: Layout) -> None:
    cfg = ReportSettings(noise_targets={ZoneKind.BUZZ_ZONE: 60})
    north = service(db, layout, cfg).acoustics(Period(TUE, TUE)).zones[0]
    assert north.target_db == 60
    assert north.above_h == pytest.approx(32 / 60)  # 60.0 is not above 60; 65.0 is
