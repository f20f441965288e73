"""Three days of the collector's schema with hand-checked figures, for the report CLI and API."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import ReportSettings
from reports.hours import to_ms
from reports.rollup import Rollup
from tests.reports.seed import Seeder

STHLM = ZoneInfo("Europe/Stockholm")
MON, TUE, WED = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)


def at(d: date, hh: int, mm: int = 0) -> int:
    return to_ms(datetime(d.year, d.month, d.day, hh, mm, tzinfo=STHLM))


def seed(layout: Layout) -> Seeder:
    """Tuesday: 80 visits (a reboot in between), q-01 occupied 2.5 h, buzz-north 4 then 10
    people (peak 10); Wednesday evening: 12 visits and 30 people in buzz-north."""
    s = Seeder(layout)
    s.passage(at(MON, 8), "door-1", "aa01", 0)
    s.desk(at(MON, 7), "q-01", "free")
    s.desk(at(TUE, 9), "q-01", "occupied")
    s.desk(at(TUE, 11, 30), "q-01", "free")
    s.zone(at(TUE, 8), "buzz-north", 4)
    s.zone(at(TUE, 12), "buzz-north", 10)
    s.zone(at(TUE, 17), "buzz-north", 0)
    for hh, boot, n in ((8, "aa01", 0), (9, "aa01", 20), (12, "aa01", 50), (13, "bb02", 5),
                        (17, "bb02", 30)):
        s.passage(at(TUE, hh), "door-1", boot, n)
    s.zone(at(WED, 18), "buzz-north", 30)
    s.passage(at(WED, 18, 30), "door-1", "bb02", 42)
    s.zone(at(WED, 21), "buzz-north", 0)
    return s


def seed_and_roll_up(db: InfluxV1, layout: Layout) -> None:
    seed(layout).write(db)
    Rollup(db, layout, ReportSettings()).run(MON, WED)
