"""Reports end to end: the collector's schema in a real InfluxDB, rolled up, reported."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, ReportSettings
from reports.compare import compare
from reports.events import (
    Event,
    delete_event,
    event_days,
    event_report,
    list_events,
    save_event,
)
from reports.hours import Calendar, Period, to_ms
from reports.rollup import Rollup
from reports.timeline import Timeline
from reports.utilization import HourOfWeek, utilization
from reports.visits import visits
from tests.conftest import EXAMPLE_LAYOUT
from tests.reports.seed import Seeder
from tests.seeded_reports import seed

pytestmark = pytest.mark.services
STHLM = ZoneInfo("Europe/Stockholm")
MON, TUE, WED = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
THU = date(2026, 11, 19)
CFG = ReportSettings()  # Mon-Fri 08:00-18:00
CAL = Calendar.from_settings(CFG, "Europe/Stockholm")


def at(d: date, hh: int, mm: int = 0) -> int:
    return to_ms(datetime(d.year, d.month, d.day, hh, mm, tzinfo=STHLM))


@pytest.fixture
def db(influx_settings: InfluxSettings, layout: Layout) -> Iterator[InfluxV1]:
    s = Seeder(layout)
    # Monday: the door's baseline, q-01 free from 07:00 on.
    s.passage(at(MON, 8), "door-1", "aa01", 0)
    s.desk(at(MON, 7), "q-01", "free")
    # Tuesday: q-01 occupied 09:00-11:30 and 13:00-14:00, unknown 14:00-15:00 (3.5 h in).
    for hh, mm, st in ((9, 0, "occupied"), (11, 30, "free"), (13, 0, "occupied"),
                       (14, 0, "unknown"), (15, 0, "free")):
        s.desk(at(TUE, hh, mm), "q-01", st)
    # buzz-north (capacity 24): 4 people 08-12, 10 people 12-16, stale 16-17, 0 from 17.
    s.zone(at(TUE, 8), "buzz-north", 4)
    s.zone(at(TUE, 12), "buzz-north", 10)
    s.zone(at(TUE, 16), "buzz-north", 3, stale=True)
    s.zone(at(TUE, 17), "buzz-north", 0)
    # The door: 20 + 30 in, a reboot, 5 + 25 more: 80 visits on Tuesday.
    for hh, boot, n in ((8, "aa01", 0), (9, "aa01", 20), (12, "aa01", 50), (13, "bb02", 5),
                        (17, "bb02", 30)):
        s.passage(at(TUE, hh), "door-1", boot, n)
    # Wednesday evening: an event in buzz-north, 12 people in, 30 people there.
    s.zone(at(WED, 18), "buzz-north", 30)
    s.zone(at(WED, 20), "buzz-north", 20)
    s.passage(at(WED, 18, 30), "door-1", "bb02", 42)
    s.zone(at(WED, 21), "buzz-north", 0)
    db = InfluxV1(influx_settings)
    s.write(db)
    Rollup(db, layout, CFG).run(MON, WED)
    yield db
    db.close()


def test_desk_and_zone_utilization_from_durations(db: InfluxV1, layout: Layout) -> None:
    r = utilization(db, layout, CFG, Period(TUE, TUE))
    q1 = next(u for u in r.desks if u.id == "q-01")
    assert (q1.open_h, q1.occupied_h, q1.unknown_h, q1.free_h) == (10, 3.5, 1, 5.5)
    assert q1.occupied_share == pytest.approx(0.35)
    q2 = next(u for u in r.desks if u.id == "q-02")  # never heard from: unknown, not free
    assert (q2.unknown_h, q2.free_h, q2.occupied_share) == (10, 0, 0)
    bn = next(u for u in r.zones if u.id == "buzz-north")
    assert bn.unknown_h == 1  # stale 16-17 counts as unknown
    assert bn.mean_occupancy == pytest.approx((4 * 4 + 10 * 4 + 0 * 1) / 9)
    assert bn.peak == 10
    assert bn.mean_vs_capacity == pytest.approx(56 / 9 / 24)  # 0.26
    assert bn.flag is None  # between 0.15 and 0.85
    strict = ReportSettings(underused_below=0.3)
    assert next(u for u in utilization(db, layout, strict, Period(TUE, TUE)).zones
                if u.id == "buzz-north").flag == "underused"
    quiet = next(u for u in r.zones if u.id == "quiet")  # no zone state ever: no verdict
    assert quiet.flag == "insufficient_data" and quiet.unknown_share == 1
    assert r.profile["buzz-north"][24 + 12] == 10.0  # Tuesday 12:00-13:00
    assert r.busiest["buzz-north"][0] == HourOfWeek(24 + 12, "Tue 12:00", 10.0)


def test_visits_with_a_reboot_and_the_trend(db: InfluxV1, layout: Layout) -> None:
    r = visits(db, layout, CFG, Period(TUE, WED))
    assert dict(r.rows) == {TUE: 80, WED: 12}
    assert r.total == 92 and r.previous_total == 0 and r.trend is None
    assert r.peak_hour is not None
    assert r.peak_hour.start.isoformat() == "2026-11-17T12:00:00+01:00"  # local, not epoch
    assert (to_ms(r.peak_hour.start), r.peak_hour.visits) == (at(TUE, 12), 30)
    r2 = visits(db, layout, CFG, Period(WED, WED), exclude_days=frozenset({WED}))
    assert r2.previous_total == 80 and r2.trend == pytest.approx(12 / 80 - 1)
    assert r2.baseline_per_day is None


def test_events_are_stored_reported_and_left_out_of_the_baseline(
        db: InfluxV1, layout: Layout) -> None:
    ev = Event("demo-night", "Demo night, \"Hbg\"", at(WED, 18), at(WED, 21), ("buzz-north",))
    save_event(db, layout, ev)
    [got] = list_events(db, layout, at(MON, 0), at(WED, 23))
    assert got == ev
    rep = event_report(db, layout, CAL, got, Timeline(db, [layout], 2.5, at(THU, 0)))
    assert rep.visits == 12
    [z] = rep.zones
    assert z.peak == 30 and z.mean_occupancy == pytest.approx((30 * 2 + 20) / 3)
    days = event_days([got], CFG, layout)
    assert days == {WED}
    base = utilization(db, layout, CFG, Period(TUE, WED), exclude_days=days)
    assert base.excluded_days == [WED]
    bn = next(u for u in base.zones if u.id == "buzz-north")
    assert bn.peak == 10  # the event's 30 is not in the baseline


def test_compare_two_periods(db: InfluxV1, layout: Layout) -> None:
    [*_, bn] = [c for c in compare(db, layout, CFG, Period(TUE, TUE), Period(WED, WED)).zones
                if c.zone == "buzz-north"]
    assert bn.before is not None and bn.after is not None
    assert bn.before.peak == 10
    assert bn.after.mean_occupancy == pytest.approx(0.0)  # Wednesday's open hours: 0 people
    assert bn.mean_vs_capacity_change == pytest.approx(-bn.before.mean_vs_capacity)


def test_rollup_is_idempotent(db: InfluxV1, layout: Layout) -> None:
    before = utilization(db, layout, CFG, Period(TUE, TUE))
    Rollup(db, layout, CFG).run(TUE, TUE)
    assert utilization(db, layout, CFG, Period(TUE, TUE)) == before


def test_a_deleted_event_is_gone(db: InfluxV1, layout: Layout) -> None:
    ev = Event("quiz", "Quiz", at(TUE, 18), at(TUE, 20))
    save_event(db, layout, ev)
    delete_event(db, layout, ev)
    assert list_events(db, layout, at(MON, 0), at(WED, 23)) == []
    with pytest.raises(ValueError, match="unknown zones"):
        save_event(db, layout, Event("x", "X", at(TUE, 18), at(TUE, 20), ("nowhere",)))


def test_catch_up_rolls_from_the_watermark_and_folds_in_late_data(
        db: InfluxV1, layout: Layout) -> None:
    roll = Rollup(db, layout, CFG)
    assert roll.watermark() == at(date(2026, 11, 19), 0)
    late = Seeder(layout)  # a spool replayed late: q-02 was occupied Wednesday 10-12
    late.desk(at(WED, 10), "q-02", "occupied")
    late.desk(at(WED, 12), "q-02", "free")
    late.write(db)
    roll.catch_up(now_ms=at(WED, 23, 30))
    q2 = next(u for u in utilization(db, layout, CFG, Period(WED, WED)).desks if u.id == "q-02")
    assert (q2.occupied_h, q2.free_h, q2.unknown_h) == (2, 6, 2)


def test_the_scheduled_job_catches_up_from_a_config_file(
        db: InfluxV1, layout: Layout, influx_settings: InfluxSettings, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from reports import schedule

    conf = tmp_path / "hubsense.toml"
    conf.write_text(f'layout = "{EXAMPLE_LAYOUT}"\n[influx]\nurl = "{influx_settings.url}"\n'
                    f'database = "{influx_settings.database}"\n')
    assert schedule.main(["-c", str(conf), "--once", "--since", str(TUE)]) == 0
    assert int(capsys.readouterr().out.split()[0]) > 0
    assert schedule.main(["-c", str(tmp_path / "missing.toml"), "--once"]) == 2


def test_event_figures_are_rolled_up_for_grafana_and_go_with_the_event(
        db: InfluxV1, layout: Layout) -> None:
    ev = Event("demo-night", "Demo night", at(WED, 18), at(WED, 21), ("buzz-north",))
    save_event(db, layout, ev)
    Rollup(db, layout, CFG).run(WED, WED)
    q = ('SELECT "name", "visits" FROM "rollup"."rollup_event" WHERE site = $site '
         'AND "deleted" = false')
    [s] = db.query(q, {"site": layout.site.id})
    assert [(r["name"], r["visits"]) for r in s.rows()] == [("Demo night", 12)]
    delete_event(db, layout, ev)
    assert db.query(q, {"site": layout.site.id}) == []


def test_a_day_in_progress_counts_only_what_has_happened(
        influx_settings: InfluxSettings, layout: Layout) -> None:
    with InfluxV1(influx_settings.model_copy(update={"database": "inprogress"})) as fresh:
        seed(layout).write(fresh)  # q-01 occupied Tuesday 09:00-11:30
        Rollup(fresh, layout, CFG).run(MON, TUE, until_ms=at(TUE, 13, 30))
        r = utilization(fresh, layout, CFG, Period(TUE, TUE), now_ms=at(TUE, 13, 30))
    q1 = next(u for u in r.desks if u.id == "q-01")
    assert (q1.open_h, q1.occupied_h, q1.free_h, q1.unknown_h) == (5, 2.5, 2.5, 0)  # 08-13


def test_the_trend_of_a_period_in_progress_compares_like_with_like(
        db: InfluxV1, layout: Layout) -> None:
    thu, fri = date(2026, 11, 19), date(2026, 11, 20)
    # Wednesday..Thursday seen on Thursday at midnight: the trend compares Wednesday with
    # Monday (no visits), not with all of Monday..Tuesday (80).
    early = visits(db, layout, CFG, Period(WED, thu), now_ms=at(thu, 0))
    assert (early.in_progress, early.total, early.previous_total) == (True, 12, 0)
    done = visits(db, layout, CFG, Period(WED, thu), now_ms=at(fri, 0))
    assert (done.in_progress, done.previous_total) == (False, 80)


def test_before_any_rollup_everything_is_unknown_not_an_error(
        influx_settings: InfluxSettings, layout: Layout) -> None:
    with InfluxV1(influx_settings) as fresh:
        Seeder(layout).write(fresh)  # the database, no rollups
        r = utilization(fresh, layout, CFG, Period(TUE, TUE))
        assert r.rollups_through is None
        assert all(u.unknown_share == 1 and u.occupied_h == 0 for u in r.zones + r.desks)
        v = visits(fresh, layout, CFG, Period(TUE, TUE))
        assert (v.total, v.rollups_through) == (0, None)
