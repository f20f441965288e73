"""When each state held, as reports count it: the node's clock, collector downtime, restarts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, ReportSettings
from reports.hours import Period, to_ms
from reports.rollup import Rollup
from reports.source import Change
from reports.timeline import on_node_clock
from reports.utilization import utilization
from tests.reports.seed import Seeder

STHLM = ZoneInfo("Europe/Stockholm")
MON, TUE, WED, THU = (date(2026, 11, d) for d in (16, 17, 18, 19))
CFG = ReportSettings()  # Mon-Fri 08:00-18:00
S, MIN, H = 1000, 60_000, 3_600_000
LAG = 75 * S  # 2.5 heartbeats of 30 s


def at(d: date, hh: int, mm: int = 0, ss: int = 0) -> int:
    return to_ms(datetime(d.year, d.month, d.day, hh, mm, ss, tzinfo=STHLM))


def test_a_late_message_counts_at_the_nodes_time() -> None:
    # free at 11:20:00 on the node, delivered 49 s late by a QoS 1 redelivery
    got = on_node_clock([Change(100 * S, 1, 100 * S), Change(649 * S, 0, 600 * S)], 0, LAG)
    assert got == [(100 * S, 1), (600 * S, 0)]


def test_changes_to_and_from_unknown_stay_at_the_collectors_time() -> None:
    got = on_node_clock([Change(100 * S, None), Change(200 * S, 1, 150 * S),
                         Change(300 * S, 0, 290 * S)], 0, LAG)
    assert got == [(100 * S, None), (200 * S, 1), (290 * S, 0)]


def test_never_before_the_change_before_nor_further_back_than_the_lag() -> None:
    got = on_node_clock([Change(100 * S, 1, 99 * S), Change(110 * S, 0, 50 * S)], 0, LAG)
    assert got == [(99 * S, 1), (99 * S, 0)]  # an instant of occupancy, then free
    assert on_node_clock([Change(500 * S, 1, 100 * S)], 0, LAG) == [(425 * S, 1)]


@pytest.fixture
def db(influx_settings: InfluxSettings, layout: Layout) -> Iterator[InfluxV1]:
    s = Seeder(layout)
    # Monday: no collector heartbeat yet (history from before it): nothing is invented.
    s.desk(at(MON, 7), "q-01", "free")
    s.zone(at(MON, 7), "buzz-north", 0)
    # Tuesday: the collector starts at 07:00 and writes what it sees.
    s.collector_up(at(TUE, 7), at(TUE, 14))
    s.desk(at(TUE, 7), "q-01", "free")
    s.zone(at(TUE, 7), "buzz-north", 0)
    s.desk(at(TUE, 9, 40), "q-01", "occupied", node_ms=at(TUE, 9, 40))
    s.desk(at(TUE, 11, 20, 49), "q-01", "free", node_ms=at(TUE, 11, 20))  # 49 s late
    s.desk(at(TUE, 13), "q-01", "occupied", node_ms=at(TUE, 13))
    s.zone(at(TUE, 8), "buzz-north", 4, node_ms=at(TUE, 8))
    s.zone(at(TUE, 10, 30, 49), "buzz-north", 9, node_ms=at(TUE, 10, 30))  # 49 s late
    s.zone(at(TUE, 12), "buzz-north", 6, node_ms=at(TUE, 12))
    # 14:00-14:30 the collector is down (its last beat 14:00, the next 14:30, started):
    # unknown then, and after its restart until it says again.
    s.collector_up(at(TUE, 14, 30), at(THU, 12))
    s.desk(at(TUE, 14, 31), "q-01", "free", node_ms=at(TUE, 14, 30, 30))
    s.zone(at(TUE, 14, 35), "buzz-north", 5, node_ms=at(TUE, 14, 34))
    # 16:00-16:45 q-01's node is silent; 17:00-17:30 buzz-north is stale (a lower bound).
    s.desk(at(TUE, 16), "q-01", "unknown")
    s.desk(at(TUE, 16, 45), "q-01", "free", node_ms=at(TUE, 16, 44))
    s.desk(at(TUE, 17, 30), "q-01", "occupied", node_ms=at(TUE, 17, 29, 30))
    s.desk(at(TUE, 19), "q-01", "free", node_ms=at(TUE, 19))
    s.zone(at(TUE, 17), "buzz-north", 3, stale=True)
    s.zone(at(TUE, 17, 30), "buzz-north", 0, node_ms=at(TUE, 17, 30))
    # Across midnight: q-02 taken at 23:59:50 on the node, written 40 s later, on Thursday.
    s.desk(at(WED, 8), "q-02", "free", node_ms=at(WED, 8))
    s.desk(at(THU, 0, 0, 30), "q-02", "occupied", node_ms=at(WED, 23, 59, 50))
    with InfluxV1(influx_settings) as client:
        s.write(client)
        Rollup(client, layout, CFG).run(MON, THU, until_ms=at(THU, 12))
        yield client


@pytest.mark.services
def test_a_desk_day_on_the_nodes_clock_with_the_collector_down_and_restarted(
        db: InfluxV1, layout: Layout) -> None:
    r = utilization(db, layout, CFG, Period(TUE, TUE), now_ms=at(THU, 12))
    q1 = next(u for u in r.desks if u.id == "q-01")
    # 08:00-18:00: occupied 09:40-11:20 (the late free counts at 11:20:00), 13:00-14:00 and
    # 17:29:30-18:00; unknown 14:00-14:31 (down, then restarted until its next point) and
    # 16:00-16:45 (silent); free the rest.
    assert q1.occupied_h == pytest.approx((100 + 60 + 30.5) / 60)
    assert q1.unknown_h == pytest.approx((31 + 45) / 60)
    assert q1.free_h == pytest.approx((100 + 100 + 89 + 44.5) / 60)
    # Known outside: 00-08 free (Monday's state: no downtime before the first beat),
    # 18-19 occupied, 19-24 free.
    assert q1.known_outside_h == pytest.approx(14)


@pytest.mark.services
def test_a_zone_day_on_the_nodes_clock_with_the_collector_down_and_restarted(
        db: InfluxV1, layout: Layout) -> None:
    r = utilization(db, layout, CFG, Period(TUE, TUE), now_ms=at(THU, 12))
    bn = next(u for u in r.zones if u.id == "buzz-north")
    # 4 people 08:00-10:30, 9 to 12:00 (on the node's clock), 6 to 14:00; unknown
    # 14:00-14:35; 5 to 17:00; stale (unknown) to 17:30; then 0.
    known_min = 600 - 35 - 30
    people_min = 4 * 150 + 9 * 90 + 6 * 120 + 5 * 145
    assert bn.unknown_h == pytest.approx(65 / 60)
    assert bn.mean_occupancy == pytest.approx(people_min / known_min)
    assert bn.peak == 9
    # The hour 10:00-11:00 on its own: 4 people for 30 min, 9 for 30 min.
    assert r.profile["buzz-north"][24 + 10] == pytest.approx(6.5)


@pytest.mark.services
def test_a_change_written_after_midnight_counts_before_it(db: InfluxV1, layout: Layout) -> None:
    q = ('SELECT occupied_s, known_s FROM "rollup"."rollup_desk_day" WHERE desk = \'q-02\' '
         "AND time >= $a AND time < $b")
    [s] = db.query(q, {"a": at(WED, 0) * 1_000_000, "b": at(THU, 12) * 1_000_000})
    wed, thu = s.rows()
    assert (wed["occupied_s"], wed["known_s"]) == (10, 16 * 3600)
    assert (thu["occupied_s"], thu["known_s"]) == (12 * 3600, 12 * 3600)
