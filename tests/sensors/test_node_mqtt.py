"""The real firmware on the MicroPython unix port against a real Mosquitto."""

from __future__ import annotations

import json

import pytest

from devstack.mosquitto import Mosquitto
from hubsense.contract import parse_heartbeat, parse_node_topic, parse_observation
from hubsense.layout import Layout
from tests.sensors.conftest import SITE, NodeFactory, Recorder, topic

pytestmark = pytest.mark.services


def _present(value: bool):
    return lambda m: (m.topic == topic("desk-q1", "in/1")
                      and json.loads(m.payload).get("present") is value)


def test_node_publishes_retained_online_birth(make_node: NodeFactory, recorder: Recorder,
                                              broker: Mosquitto) -> None:
    make_node("desk-q1").start()
    recorder.wait_for(lambda m: m.topic == topic("desk-q1", "status") and m.payload == b"online",
                      what="online status")
    late = Recorder(broker, topic("desk-q1", "status"))  # joins after the birth message
    try:
        m = late.wait_for(lambda m: True, what="retained status")
        assert (m.payload, m.retain) == (b"online", True)
    finally:
        late.close()


def test_presence_flip_publishes_contract_observations(make_node: NodeFactory,
                                                       recorder: Recorder,
                                                       layout: Layout) -> None:
    node = make_node("desk-q1", inputs=4).start()
    recorder.wait_for(_present(False), what="boot observation of input 1")
    node.set_inputs({1: True})
    on = recorder.wait_for(_present(True), what="present=true on in/1")
    node.set_inputs({1: False})
    on_seq = json.loads(on.payload)["seq"]
    off = recorder.wait_for(
        lambda m: _present(False)(m) and json.loads(m.payload)["seq"] > on_seq,
        what="present=false after the flip")
    for m in (on, off):
        obs = parse_observation(layout, parse_node_topic(m.topic, SITE), m.payload)
        assert (obs.node, obs.n, obs.desk, obs.zone) == ("desk-q1", 1, "q-01", "quiet")
        assert obs.synced
    assert json.loads(on.payload)["present"] is True
    assert json.loads(off.payload)["present"] is False
    assert not any(m.retain for m in recorder.messages(on.topic))


def test_heartbeat_follows_contract_and_republishes_inputs(make_node: NodeFactory,
                                                           recorder: Recorder,
                                                           layout: Layout) -> None:
    node = make_node("desk-q2", inputs=2, heartbeat_s=5).start()
    node.set_inputs({2: True})
    hbs = []
    for _ in range(2):  # the boot heartbeat and the next one
        hbs.append(recorder.wait_for(
            lambda m: m.topic == topic("desk-q2", "heartbeat") and m not in hbs,
            timeout=15, what="heartbeat"))
    first, second = (parse_heartbeat(m.payload) for m in hbs)
    assert first.boot == second.boot and len(first.boot) == 8
    assert first.fw == "0.1.0" and first.drops == 0 and first.rssi is None
    assert second.seq > first.seq and second.uptime_s >= 4
    assert first.heap_free > 0
    # Between two heartbeats, every input was re-published, seq shared with heartbeats.
    between = [m for m in recorder.messages()
               if "/in/" in m.topic and first.seq < json.loads(m.payload)["seq"] < second.seq]
    assert {m.topic for m in between} == {topic("desk-q2", "in/1"), topic("desk-q2", "in/2")}
    for m in between:
        parse_observation(layout, parse_node_topic(m.topic, SITE), m.payload)
    seqs = sorted(json.loads(m.payload)["seq"] for m in recorder.messages()
                  if m.topic.startswith(topic("desk-q2", "")) and m.payload[:1] == b"{")
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "seq must count every message"


def test_kill_9_leaves_retained_offline(make_node: NodeFactory, recorder: Recorder,
                                        broker: Mosquitto) -> None:
    node = make_node("desk-q1", overrides={"broker": {"keepalive_s": 5}}).start()
    status = topic("desk-q1", "status")
    recorder.wait_for(lambda m: m.topic == status and m.payload == b"online", what="online")
    node.kill()
    # The broker notices the dead socket at once (RST); keepalive covers a silent death.
    recorder.wait_for(lambda m: m.topic == status and m.payload == b"offline", timeout=15,
                      what="last will")
    late = Recorder(broker, status)
    try:
        m = late.wait_for(lambda m: True, what="retained status")
        assert (m.payload, m.retain) == (b"offline", True)
    finally:
        late.close()
