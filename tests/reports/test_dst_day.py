"""The day the clocks go back, end to end: raw series in a real InfluxDB, rolled up, reported.

Sunday 2026-10-25 in Stockholm has 25 hours: 03:00 CEST becomes 02:00 CET.
With the site open all Sunday, figures below are counted by hand in real hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, ReportSettings
from reports.hours import HOUR_MS, Period, to_ms
from reports.rollup import Rollup
from reports.utilization import utilization
from reports.visits import visits
from tests.reports.seed import Seeder

pytestmark = pytest.mark.services
SAT, SUN, MON = date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)
CFG = ReportSettings(opening_hours={"sun": "00:00-24:00", "mon": "08:00-18:00"})


def utc(d: date, hh: int, mm: int = 0) -> int:
    """UTC instants: local wall-clock times are ambiguous on this day."""
    return to_ms(datetime(d.year, d.month, d.day, hh, mm, tzinfo=UTC))


# Local 01:00 CEST is 23:00Z on Saturday; 04:00 CET is 03:00Z: four real hours.
FROM_1AM, TO_4AM = utc(SAT, 23), utc(SUN, 3)


@pytest.fixture
def db(influx_settings: InfluxSettings, layout: Layout) -> Iterator[InfluxV1]:
    s = Seeder(layout)
    s.desk(utc(SAT, 18), "q-01", "free")
    s.desk(FROM_1AM, "q-01", "occupied")
    s.desk(TO_4AM, "q-01", "free")
    s.zone(utc(SAT, 18), "buzz-north", 0)
    s.zone(FROM_1AM, "buzz-north", 5)
    s.zone(TO_4AM, "buzz-north", 0)
    s.passage(utc(SAT, 22, 30), "door-1", "aa01", 0)   # 00:30 CEST
    s.passage(utc(SUN, 0, 30), "door-1", "aa01", 10)   # 02:30 CEST
    s.passage(utc(SUN, 1, 30), "door-1", "aa01", 25)   # 02:30 CET, the repeated hour
    s.passage(utc(MON, 0), "door-1", "aa01", 30)       # Monday 01:00 CET
    with InfluxV1(influx_settings) as client:
        s.write(client)
        Rollup(client, layout, CFG).run(SAT, MON)
        yield client


def test_a_25_hour_day_counts_real_hours(db: InfluxV1, layout: Layout) -> None:
    r = utilization(db, layout, CFG, Period(SUN, SUN))
    q1 = next(u for u in r.desks if u.id == "q-01")
    assert (q1.open_h, q1.occupied_h, q1.free_h, q1.unknown_h) == (25, 4, 21, 0)
    bn = next(u for u in r.zones if u.id == "buzz-north")
    assert bn.open_h == 25 and bn.peak == 5
    assert bn.mean_occupancy == pytest.approx(5 * 4 / 25)
    # Sunday 02:00-03:00 happened twice: both hours land on hour-of-week 146, 5 people each.
    assert r.profile["buzz-north"][6 * 24 + 2] == 5.0
    assert r.profile["buzz-north"][6 * 24 + 1] == 5.0
    assert r.profile["buzz-north"][6 * 24 + 4] == 0.0


def test_visits_fall_on_local_days_across_the_change(db: InfluxV1, layout: Layout) -> None:
    r = visits(db, layout, CFG, Period(SUN, MON))
    assert dict(r.rows) == {SUN: 25, MON: 5}
    assert r.peak_hour is not None and r.peak_hour.visits == 15
    # The second 02:00, shown in local time with its offset.
    assert r.peak_hour.start.isoformat() == "2026-10-25T02:00:00+01:00"
    assert to_ms(r.peak_hour.start) == utc(SUN, 1)
    week = visits(db, layout, CFG, Period(SUN, MON), by="week")
    assert dict(week.rows) == {SUN - timedelta(days=6): 25, MON: 5}


def test_rollup_hours_of_the_long_day(db: InfluxV1, layout: Layout) -> None:
    [s] = db.query('SELECT count(span_s) FROM "rollup"."rollup_zone_hour" WHERE '
                   "zone = 'buzz-north' AND time >= $a AND time < $b",
                   {"a": utc(SAT, 22) * 1_000_000, "b": utc(SUN, 23) * 1_000_000})
    assert s.values[0][1] == 25  # one point per real hour of the local day
    [s] = db.query('SELECT sum(span_s) FROM "rollup"."rollup_desk_day" WHERE desk = \'q-01\' '
                   "AND time >= $a AND time < $b",
                   {"a": utc(SAT, 22) * 1_000_000, "b": utc(SAT, 22, 1) * 1_000_000})
    assert s.values[0][1] == 25 * HOUR_MS / 1000
