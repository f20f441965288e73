"""The collector against real Mosquitto and real InfluxDB: points, state, rejections."""

from __future__ import annotations

import http.client
import json
import logging
import time

import pytest

from collector.service import Collector
from devstack.mosquitto import Mosquitto
from hubsense.contract import (
    ROOT,
    Reject,
    collector_heartbeat_topic,
    input_topic,
    node_topic,
    state_topic,
)
from hubsense.influx import InfluxV1
from reports.passages import Sample, entries
from tests.collector.conftest import SITE, FakeClock, NodeSim, count, measurements, wait_for

pytestmark = pytest.mark.services

def scrape(port: int | None) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/metrics", headers={"Connection": "close"})
        r = conn.getresponse()
        assert r.status == 200
        return r.read().decode()
    finally:
        conn.close()


NOW = lambda: int(time.time() * 1000)  # noqa: E731


def test_presence_reaches_influx_and_retained_state(
        collector: Collector, tester: NodeSim, influx: InfluxV1) -> None:
    wait_for(lambda: tester.get(f"{ROOT}/{SITE}/collector/status") == b"online",
             what="collector online")
    tester.status("desk-q1", True)
    ts = tester.observe("desk-q1", 1, present=True)

    def point() -> list[dict[str, object]]:
        s = influx.query('SELECT * FROM "presence" WHERE "desk" = $d', {"d": "q-01"})
        return s[0].rows() if s else []

    rows = wait_for(point, what="presence point")
    assert rows == [{"time": ts, "desk": "q-01", "zone": "quiet", "node": "desk-q1",
                     "input": "1", "site": SITE, "present": True, "seq": tester.seq,
                     "synced": True}]
    desk = wait_for(lambda: (d := tester.state("desk", "q-01")) and
                    d["status"] == "occupied" and d, what="desk q-01 occupied")
    assert desk["zone"] == "quiet"
    zone = wait_for(lambda: (z := tester.state("zone", "quiet")) and z["occupied"] == 1 and z,
                    what="zone quiet occupied 1")
    # Other desks of the zone have not been heard: the zone is stale, not free.
    assert zone["stale"] is True and zone["desks_unknown"] == 7
    wait_for(lambda: count(influx, "zone_state", "capacity") >= 1, what="zone_state point")


def test_redelivery_overwrites_the_same_point(
        collector: Collector, tester: NodeSim, influx: InfluxV1) -> None:
    ts = NOW()
    for _ in range(3):
        tester.publish(input_topic(SITE, "buzz-n", 1),
                       json.dumps({"seq": 5, "ts": ts, "synced": True, "count": 9}))
    wait_for(lambda: collector.metrics.messages >= 3 and collector.writer.idle.is_set(),
             what="three messages handled")
    wait_for(lambda: count(influx, "zone_count") == 1, what="one point")
    assert collector.metrics.points_written >= 3  # written three times, stored once


BAD = [
    # (topic, payload, reason)
    (input_topic(SITE, "desk-q1", 1), b"{not json", Reject.PAYLOAD),
    (input_topic(SITE, "desk-q1", 1), b'{"seq": 1, "ts": 1, "present": "yes"}', Reject.PAYLOAD),
    (input_topic(SITE, "ghost", 1), b'{"seq": 1, "ts": 1, "present": true}',
     Reject.UNKNOWN_NODE),
    (input_topic(SITE, "desk-q1", 9), b'{"seq": 1, "ts": 1, "present": true}',
     Reject.UNKNOWN_INPUT),
    (input_topic(SITE, "buzz-n", 1), b'{"seq": 1, "ts": 1, "count": 1001}', Reject.RANGE),
    (input_topic(SITE, "buzz-n", 1), b'{"seq": 1, "ts": 1, "present": true}',
     Reject.WRONG_MEASURE),
    (f"{ROOT}/{SITE}/node/desk-q1/in/x", b'{"seq": 1, "ts": 1, "present": true}',
     Reject.TOPIC),
    (f"{ROOT}/{SITE}/node/Desk Q1/status", b"online", Reject.TOPIC),
    (node_topic(SITE, "desk-q1", "status"), b"maybe", Reject.PAYLOAD),
    (node_topic(SITE, "ghost", "heartbeat"), b"{}", Reject.UNKNOWN_NODE),
]


def test_bad_input_is_counted_logged_and_never_written(
        collector: Collector, tester: NodeSim, influx: InfluxV1,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="collector.ingest")
    now = NOW()
    for topic, payload, _ in BAD:
        tester.publish(topic, payload.replace(b'"ts": 1', f'"ts": {now}'.encode()))
    # A valid message after the bad ones proves the loop kept going.
    tester.observe("buzz-n", 1, count=3)
    wait_for(lambda: count(influx, "zone_count") == 1, what="the good point")
    expected: dict[str, int] = {}
    for _, _, reason in BAD:
        expected[reason.value] = expected.get(reason.value, 0) + 1
    got = {r: n for r, n in collector.metrics.rejected.items() if n}
    assert got == expected
    for topic, _, reason in BAD:
        assert any(reason.value in r.getMessage() and repr(topic) in r.getMessage()
                   for r in caplog.records), (topic, reason)
    assert measurements(influx) <= {"zone_count", "zone_state", "desk_state", "node_status",
                                    "collector_heartbeat"}
    assert count(influx, "zone_count") == 1
    assert collector.metrics.internal_errors == 0

    # Kept for inspection, one line per rejection, and visible to Prometheus.
    dead = [json.loads(line) for line in
            collector.dead_letters.path.read_text().splitlines()]
    assert [(d["topic"], d["reason"]) for d in dead] == [(t, r.value) for t, _, r in BAD]
    assert dead[0]["payload"] == "{not json"
    port = collector.settings.collector.metrics_port
    text = scrape(port)
    assert 'hubsense_collector_rejected_total{reason="bad_payload"} 3' in text
    assert f"hubsense_collector_messages_total {len(BAD) + 1}" in text
    assert "hubsense_collector_dead_letters_total 10" in text


def test_clock_far_off_is_refused(collector: Collector, tester: NodeSim, influx: InfluxV1) -> None:
    tester.observe("buzz-n", 1, ts=NOW() + 3_600_000, count=1)
    tester.observe("buzz-n", 1, ts=NOW() - 8 * 86_400_000, count=1)
    wait_for(lambda: collector.metrics.rejected[Reject.CLOCK.value] == 2, what="two rejections")
    assert count(influx, "zone_count") == 0


def test_offline_or_silent_node_makes_its_zone_stale(
        collector: Collector, tester: NodeSim, clock: FakeClock) -> None:
    for node in ("desk-q1", "desk-q2"):
        tester.status(node, True)
        for n in range(1, 5):
            tester.observe(node, n, present=False)
    wait_for(lambda: (z := tester.state("zone", "quiet")) and z["desks_free"] == 8
             and not z["stale"] and z["status"] == "free", what="quiet zone all free")

    tester.status("desk-q1", False)
    wait_for(lambda: (z := tester.state("zone", "quiet")) and z["stale"]
             and z["desks_unknown"] == 4, what="quiet zone stale after offline")
    assert (tester.state("desk", "q-01") or {})["status"] == "unknown"
    assert (tester.state("desk", "q-05") or {})["status"] == "free"

    # desk-q2 is online but falls silent: no message at all, only time passes.
    clock.offset = 30 * 2.5 + 1
    z = wait_for(lambda: (z := tester.state("zone", "quiet")) and z["status"] == "unknown" and z,
                 what="quiet zone unknown after silence")
    assert z["desks_free"] is None and z["stale"] is True
    assert (tester.state("desk", "q-05") or {})["status"] == "unknown"


def test_heartbeat_and_status_are_written(
        collector: Collector, tester: NodeSim, influx: InfluxV1) -> None:
    ts = NOW()
    hb = {"seq": 1, "ts": ts, "synced": True, "boot": "9f3a51c2", "fw": "0.1.0",
          "uptime_s": 12, "heap_free": 61440, "rssi": -61, "drops": 2}
    tester.publish(node_topic(SITE, "door-1", "heartbeat"), json.dumps(hb))
    tester.status("door-1", True)
    rows = wait_for(lambda: (s := influx.query('SELECT * FROM "node_heartbeat"')) and
                    s[0].rows(), what="heartbeat point")
    assert rows[0]["time"] == ts and rows[0]["heap_free"] == 61440 and rows[0]["fw"] == "0.1.0"
    wait_for(lambda: count(influx, "node_status", "online") == 1, what="status point")


def test_node_health_is_published(collector: Collector, tester: NodeSim, clock: FakeClock) -> None:
    ts = NOW()
    hb = {"seq": 1, "ts": ts, "synced": True, "boot": "9f3a51c2", "fw": "0.1.0",
          "uptime_s": 12, "heap_free": 61440, "rssi": -61, "drops": 2}
    tester.status("buzz-s", True)
    tester.publish(node_topic(SITE, "buzz-s", "heartbeat"), json.dumps(hb))
    h = wait_for(lambda: (h := tester.state("node", "buzz-s")) and h["fw"] and h,
                 what="node health")
    assert h == {"id": "buzz-s", "online": True, "fresh": True, "last_seen_ms": h["last_seen_ms"],
                 "last_heartbeat_ms": ts, "boot": "9f3a51c2", "fw": "0.1.0", "uptime_s": 12,
                 "heap_free": 61440, "rssi": -61, "drops": 2, "implausible_counts": 0,
                 "release": None, "update": None}
    clock.offset = 30 * 2.5 + 1  # silent: still "online" by its will, but not fresh
    wait_for(lambda: (h := tester.state("node", "buzz-s")) and h["online"] and not h["fresh"],
             what="node not fresh")
    tester.status("buzz-s", False)
    wait_for(lambda: (h := tester.state("node", "buzz-s")) and not h["online"],
             what="node offline")


def test_entrance_totals_become_visits_across_a_reboot(
        collector: Collector, tester: NodeSim, influx: InfluxV1) -> None:
    t0 = NOW() - 10_000
    for i, (boot, ins, outs) in enumerate([("aaaa", 10, 8), ("aaaa", 14, 9), ("aaaa", 14, 9),
                                           ("bbbb", 3, 1), ("bbbb", 5, 4)]):
        tester.observe("door-1", 1, ts=t0 + i * 1000, boot=boot, **{"in": ins, "out": outs})
    rows = wait_for(lambda: (s := influx.query('SELECT "in", "out" FROM "visits"')) and
                    len(s[0].values) == 4 and s[0].rows(), what="visits")
    # first total: a baseline; a reboot: the new totals are all new visits, never negative
    assert [(r["in"], r["out"]) for r in rows] == [(4, 1), (0, 0), (3, 1), (2, 3)]


def test_an_implausible_entrance_jump_is_no_visits_and_flags_the_node(
        collector: Collector, tester: NodeSim, influx: InfluxV1) -> None:
    """A forged `in: 0` then `in: 2147483600` once made a month's visits 2.1 billion."""
    t0 = NOW() - 10_000
    for i, ins in enumerate([0, 2_147_483_600, 2_147_483_603]):
        tester.observe("door-1", 1, ts=t0 + i * 1000, boot="cafe", **{"in": ins, "out": 0})
    rows = wait_for(lambda: (s := influx.query('SELECT "in" FROM "visits"')) and
                    s[0].rows(), what="visits")
    assert [r["in"] for r in rows] == [3]  # the jump counts nothing; the door carries on
    wait_for(lambda: collector.metrics.implausible_passages == 1, what="counted")
    health = wait_for(lambda: (h := tester.state("node", "door-1")) and
                      h["implausible_counts"] == 1 and h, what="flagged on the node")
    assert health["id"] == "door-1"
    # The raw totals are kept as sent; the reports read them by the same rule.
    stored = influx.query('SELECT boot, in_total, out_total FROM passage')[0].values
    assert sum(n for _t, n in entries([Sample(*v) for v in stored])) == 3


def test_the_collector_beats_on_mqtt_and_in_influxdb(
        collector: Collector, tester: NodeSim, influx: InfluxV1, clock: FakeClock) -> None:
    topic = collector_heartbeat_topic(SITE)
    first = wait_for(lambda: (b := tester.get(topic)) and json.loads(b), what="a heartbeat")
    assert first["every_s"] == 30 and abs(first["ts"] - NOW()) < 10_000
    rows = wait_for(lambda: (s := influx.query('SELECT * FROM "collector_heartbeat"')) and
                    s[0].rows(), what="a heartbeat point")
    assert rows[0]["started"] is True and rows[0]["every_s"] == 30
    clock.offset = 31  # one interval on: the next beat, no longer the first
    wait_for(lambda: count(influx, "collector_heartbeat", "every_s") == 2, what="a second beat")
    rows = influx.query('SELECT * FROM "collector_heartbeat"')[0].rows()
    assert [r["started"] for r in rows] == [True, False]
    assert json.loads(tester.get(topic) or b"{}")["ts"] > first["ts"]


def test_no_beat_while_the_broker_is_away(
        collector: Collector, broker: Mosquitto, influx: InfluxV1, clock: FakeClock) -> None:
    """The collector hears nothing without the broker: its beats stop, so Grafana and
    reports see what the API sees of its own lost link (tests/surfaces)."""
    wait_for(lambda: count(influx, "collector_heartbeat", "every_s") == 1, what="first beat")
    broker.stop()
    wait_for(lambda: not collector.connected.is_set(), what="the collector to notice")
    clock.offset = 31  # a beat is due
    time.sleep(1.0)  # ten evaluations
    assert count(influx, "collector_heartbeat", "every_s") == 1
    broker.start()
    wait_for(lambda: collector.connected.is_set(), timeout=20, what="a reconnect")
    wait_for(lambda: count(influx, "collector_heartbeat", "every_s") == 2, what="beats again")
    rows = influx.query('SELECT * FROM "collector_heartbeat"')[0].rows()
    assert [r["started"] for r in rows] == [True, False]  # the same run, not a restart


def test_each_beat_sends_every_zone_again_unchanged(
        collector: Collector, tester: NodeSim, clock: FakeClock) -> None:
    # For Home Assistant, which notices silence only on an entity's own state topic.
    topic = state_topic(SITE, "zone", "lounge")
    first = wait_for(lambda: tester.get(topic), what="the lounge's state")
    sent = tester.count(topic)
    clock.offset = 10  # evaluations but no beat: nothing new, nothing sent
    time.sleep(0.5)
    assert tester.count(topic) == sent
    clock.offset = 31
    wait_for(lambda: tester.count(topic) > sent, what="the lounge again with the beat")
    assert tester.get(topic) == first
