"""A morning at the example hub, lived through the collector into a real InfluxDB.

The moments every surface (API, stream, screen, Home Assistant, Grafana, reports)
must agree on, in order: all fresh (09:00); one node silent (buzz-s, holding 12
people, and one of the quiet zone's desk nodes died at 09:00:30: 09:04); all silent
(09:15); collector down (it hung at 09:30: 09:35); back (it restarted at 09:40:
10:00); broker down (it went away at 10:00:30: 10:04; back at 10:05). Then the day
is rolled up with its week and two events registered, one of them deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, ReportSettings
from reports.events import Event, delete_event, save_event
from reports.hours import to_ms
from reports.rollup import Rollup
from tests.hub import Hub

DAY = date(2026, 11, 17)  # a Tuesday
# Rolled up: the whole week, Monday (nothing known yet) to Sunday (the state of 10:10 held).
MONDAY, SUNDAY = DAY - timedelta(days=1), DAY + timedelta(days=5)
STHLM = ZoneInfo("Europe/Stockholm")
MOMENTS = ("all fresh", "one node silent", "all silent", "collector down", "back",
           "broker down")
COUNTS = {"buzz-n": 5, "buzz-s": 12, "meet-a": 2, "meet-b": 0, "lounge": 3}
DESKS = {"desk-q1": (True, False, True, False), "desk-q2": (False, False, True, True)}


def at(hh: int, mm: int = 0, ss: int = 0) -> int:
    return to_ms(datetime(DAY.year, DAY.month, DAY.day, hh, mm, ss, tzinfo=STHLM))


def report(hub: Hub) -> None:
    """Every node says what it sees (as firmware does after it connects)."""
    for node, count in COUNTS.items():
        hub.observe(node, 1, count=count)
    for node, present in DESKS.items():
        for n, p in enumerate(present, start=1):
            hub.observe(node, n, present=p)


def minutes(hub: Hub, until_ms: int, each: Callable[[], None]) -> None:
    """Run to `until`, doing `each` (a microphone's report) once a minute."""
    while hub.now_ms < until_ms:
        each()
        hub.run_until(min(hub.now_ms + 60_000, until_ms))


def live_the_morning(layout: Layout) -> Hub:
    hub = Hub(layout, at(7, 55))
    everyone = [n.id for n in layout.nodes]

    def sound() -> None:
        hub.observe("buzz-n", 2, laeq=58.5, lamax=71.0)
        hub.observe("buzz-s", 2, laeq=63.5, lamax=75.0)

    hub.start_collector()
    hub.start(*everyone)
    hub.run_until(at(8))
    report(hub)
    hub.observe("door-1", 1, boot="aa01", **{"in": 0, "out": 0})
    minutes(hub, at(8, 10), sound)
    hub.observe("door-1", 1, boot="aa01", **{"in": 10, "out": 2})
    minutes(hub, at(8, 30), sound)
    hub.observe("buzz-n", 1, count=8)
    minutes(hub, at(8, 40), sound)
    hub.observe("door-1", 1, boot="aa01", **{"in": 25, "out": 6})
    minutes(hub, at(9), sound)
    hub.remember("all fresh")

    hub.run_until(at(9, 0, 30))
    hub.die("buzz-s", "desk-q2")
    minutes(hub, at(9, 4), sound)
    hub.remember("one node silent")

    hub.run_until(at(9, 10))
    hub.die(*everyone)
    hub.run_until(at(9, 15))
    hub.remember("all silent")

    hub.run_until(at(9, 20))
    hub.start(*everyone)
    report(hub)
    minutes(hub, at(9, 30), sound)
    hub.hang_collector()
    minutes(hub, at(9, 35), sound)
    hub.remember("collector down")

    hub.run_until(at(9, 40))
    hub.start_collector()
    report(hub)
    minutes(hub, at(10), sound)
    hub.remember("back")

    minutes(hub, at(10, 0, 30), sound)
    hub.cut_broker()
    minutes(hub, at(10, 4), sound)
    hub.remember("broker down")

    hub.run_until(at(10, 5))
    hub.mend_broker()
    report(hub)
    minutes(hub, at(10, 10), sound)
    return hub


@pytest.fixture(scope="module")
def lived(tmp_path_factory: pytest.TempPathFactory,
          layout: Layout) -> Iterator[tuple[InfluxV1, Hub]]:
    from devstack.influxdb import InfluxDB
    from devstack.processes import free_port

    server = InfluxDB(tmp_path_factory.mktemp("influxdb"), free_port(), free_port()).start()
    db = InfluxV1(InfluxSettings(url=server.url, database="dash"))
    hub = live_the_morning(layout)
    hub.write(db)
    save_event(db, layout, Event("demo", "Demo day", at(8, 30), at(9, 30), ("buzz-north",)))
    cancelled = Event("cancelled", "Cancelled talk", at(9), at(10))
    save_event(db, layout, cancelled)
    delete_event(db, layout, cancelled)
    Rollup(db, layout, ReportSettings()).run(MONDAY, SUNDAY)
    yield db, hub
    db.close()
    server.stop()
