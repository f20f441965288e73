"""The simulated fleet: one real node process per layout node, driven through a day."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devstack.model import HubModel
from devstack.mosquitto import Mosquitto
from devstack.nodes import DayScenario, Fleet
from hubsense.contract import NodeTopic, parse_heartbeat, parse_node_topic, parse_observation
from hubsense.layout import Layout
from tests.sensors.conftest import SITE, Recorder, topic

pytestmark = pytest.mark.services


def test_the_live_day_is_a_working_day_with_its_afternoon_event(layout: Layout) -> None:
    sc = DayScenario()
    assert sc.day.weekday() < 4, "a demo on a weekend still shows a working day"
    assert sc.hour(0) == sc.start_hour and sc.hour(sc.day_s / 2) == (sc.start_hour + 12) % 24
    tz = ZoneInfo(layout.site.timezone)
    model = HubModel(layout, sc.calendar(tz))
    assert model.share(sc.event_zone, sc.at(15, tz)) == 1.0 > model.share("quiet", sc.at(15, tz))
    assert model.share("quiet", sc.at(3, tz)) == 0


def test_fleet_runs_every_layout_node_within_the_contract(tmp_path: Path, broker: Mosquitto,
                                                          recorder: Recorder,
                                                          layout: Layout) -> None:
    # Two seconds an hour from 09:30: desk-q2 dies at 10:00 and is back at 13:00;
    # meet-b loses its Wi-Fi for 3 s at 10:30.
    scenario = DayScenario(day_s=48, start_hour=9.5, flaky_hour=10.5, flaky_s=3)
    fleet = Fleet(layout, tmp_path / "fleet", broker.host, broker.port, broker.users.passwords,
                  scenario=scenario, tick_s=0.5, seed=1)
    fleet.start()
    try:
        for node in layout.nodes:
            recorder.wait_for(lambda m, n=node.id: m.topic == topic(n, "heartbeat"),
                              what=f"heartbeat of {node.id}")
        dead = topic("desk-q2", "status")
        recorder.wait_for(lambda m: m.topic == dead and m.payload == b"offline", timeout=10,
                          what="desk-q2 dying")
        hb = topic("desk-q2", "heartbeat")
        first_boot = parse_heartbeat(recorder.messages(hb)[0].payload).boot
        recorder.wait_for(lambda m: m.topic == hb
                          and parse_heartbeat(m.payload).boot != first_boot, timeout=15,
                          what="desk-q2 back after lunch, with a new boot id")
        flaky = topic("meet-b", "status")
        recorder.wait_for(lambda _: [m.payload for m in recorder.messages(flaky)] == [
            b"online", b"offline", b"online"], timeout=15, what="meet-b dropping out and back")
    finally:
        fleet.stop()
    assert not any(n.alive() for n in fleet.nodes.values())
    boots: dict[str, set[str]] = {}
    for m in recorder.messages():
        if "/node/" not in m.topic:
            continue
        t = parse_node_topic(m.topic, SITE)
        if t.leaf is NodeTopic.INPUT:
            parse_observation(layout, t, m.payload)
        elif t.leaf is NodeTopic.HEARTBEAT:
            boots.setdefault(t.node, set()).add(parse_heartbeat(m.payload).boot)
    assert set(boots) == {n.id for n in layout.nodes}
    assert len(boots["desk-q2"]) == 2, "the dead node came back with a new boot id"
