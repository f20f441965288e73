"""The simulated hub (devstack/model.py) behaves as a hub does: the demo's history and
its live nodes both come from it, so its patterns are what a visitor of the demo sees."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from statistics import mean
from zoneinfo import ZoneInfo

from devstack.model import Calendar, Event, HubModel
from hubsense.layout import Layout
from hubsense.passages import Total, step
from hubsense.state import Thresholds

TZ = ZoneInfo("Europe/Stockholm")
TUESDAY = date(2026, 11, 17)


def at(d: date, hour: float) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=TZ) + timedelta(hours=hour)


def mean_share(model: HubModel, zone: str, d: date, hours: tuple[float, float]) -> float:
    h = hours[0]
    out = []
    while h < hours[1]:
        out.append(model.share(zone, at(d, h)))
        h += 0.25
    return mean(out)


def test_weekday_and_hour_patterns(layout: Layout) -> None:
    m = HubModel(layout, seed=1)
    # Desks: quiet mornings fill up, a lunch dip, empty at night.
    assert m.share("quiet", at(TUESDAY, 11)) > m.share("quiet", at(TUESDAY, 12.3)) < \
        m.share("quiet", at(TUESDAY, 14.5))
    assert m.share("quiet", at(TUESDAY, 3)) == 0
    # Buzz zones: quiet mornings, lively afternoons.
    assert mean_share(m, "buzz-north", TUESDAY, (9, 11)) < \
        mean_share(m, "buzz-north", TUESDAY, (14, 16)) / 2
    # The lounge peaks at lunch.
    assert m.share("lounge", at(TUESDAY, 12.3)) > m.share("lounge", at(TUESDAY, 10))
    friday, saturday = TUESDAY + timedelta(days=3), TUESDAY + timedelta(days=4)
    assert mean_share(m, "quiet", friday, (9, 17)) < 0.7 * mean_share(m, "quiet", TUESDAY, (9, 17))
    assert mean_share(m, "quiet", saturday, (9, 17)) < 0.05


def test_buzz_zones_get_lively_at_busy_hours_and_quiet_zones_do_not(layout: Layout) -> None:
    m = HubModel(layout, seed=2)
    lively = Thresholds().lively_db
    busy = [m.readings(at(TUESDAY, 15 + i / 60))[("buzz-n", 2)] for i in range(60)]
    morning = [m.readings(at(TUESDAY, 9 + i / 60))[("buzz-n", 2)] for i in range(60)]
    assert isinstance(busy[0], float)
    assert mean(busy) > lively > mean(morning)  # type: ignore[arg-type]


def test_holidays_are_empty_and_events_fill_their_zone_and_the_door(layout: Layout) -> None:
    holiday = TUESDAY + timedelta(days=7)
    event = Event("Startup night", at(TUESDAY, 18), at(TUESDAY, 21), "buzz-north", crowd=40)
    m = HubModel(layout, Calendar(holidays={holiday}, events=[event]), seed=3)
    assert m.share("quiet", at(holiday, 11)) == 0
    assert m.share("buzz-north", at(TUESDAY, 19)) == 1.0
    ins = []
    for minutes in range(0, 24 * 60, 5):
        ins.append(m.readings(at(TUESDAY, minutes / 60))[("door-1", 1)])
    during = ins[(18 * 60) // 5 + 7][0] - ins[(18 * 60) // 5][0]  # the first 35 minutes
    before = ins[(18 * 60) // 5][0] - ins[(17 * 60 + 25) // 5][0]
    assert during >= 35 > before


def test_the_door_counts_as_a_door_can(layout: Layout) -> None:
    """Every step of its totals passes the plausibility rule, at the live demo's pace
    (a day in ten minutes: 144 simulated seconds a real second) as at history's."""
    for seconds, real_s in ((300, 300.0), (144, 1.0)):
        m = HubModel(layout, Calendar(events=[Event("e", at(TUESDAY, 14), at(TUESDAY, 16),
                                                    "buzz-north", 30)]), seed=4)
        prev: Total | None = None
        for i in range(0, 24 * 3600, seconds):
            ins, outs = m.readings(at(TUESDAY, i / 3600))[("door-1", 1)]  # type: ignore[misc]
            cur = Total(int(i / seconds * real_s * 1000), "b007", ins, outs)
            if prev is not None:
                assert not step(prev, cur).implausible, (i, prev, cur)
            prev = cur
