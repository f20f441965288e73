"""Buzz, meeting and entrance nodes, a Wi-Fi drop and a small heap, against real Mosquitto."""

from __future__ import annotations

import json

import pytest

from devstack.nodes import InputValue
from hubsense.contract import parse_heartbeat, parse_node_topic, parse_observation
from hubsense.layout import Layout
from tests.sensors.conftest import (
    HEAP_KB,
    HEAP_KB_TLS,
    SITE,
    Message,
    NodeFactory,
    Recorder,
    topic,
)

pytestmark = pytest.mark.services



def _body(m: Message) -> dict[str, object]:
    return dict(json.loads(m.payload))


def _valid(layout: Layout, m: Message) -> None:
    parse_observation(layout, parse_node_topic(m.topic, SITE), m.payload)


def test_buzz_node_reports_count_and_sound(make_node: NodeFactory, recorder: Recorder,
                                           layout: Layout) -> None:
    node = make_node("buzz-n", kind="buzz", inputs=2, overrides={
        "inputs": [{"n": 1, "sensor": "radar", "settle_ms": 0},
                   {"n": 2, "sensor": "mic", "interval_s": 5, "offset_db": 1.5}]})
    node.set_inputs({1: 7, 2: 60.0})
    node.start()
    count = recorder.wait_for(lambda m: m.topic == topic("buzz-n", "in/1")
                              and _body(m).get("count") == 7, what="count 7")
    sound = recorder.wait_for(lambda m: m.topic == topic("buzz-n", "in/2"), timeout=15,
                              what="sound report")
    for m in (count, sound):
        _valid(layout, m)
    # 60 dB from the room plus the 1.5 dB calibration offset.
    assert _body(sound)["lamax"] == 61.5
    assert abs(float(_body(sound)["laeq"]) - 61.5) <= 0.3  # type: ignore[arg-type]


def test_meeting_node_reports_count(make_node: NodeFactory, recorder: Recorder,
                                    layout: Layout) -> None:
    node = make_node("meet-a", kind="meeting", inputs=1).start()
    recorder.wait_for(lambda m: m.topic == topic("meet-a", "heartbeat"), what="boot heartbeat")
    node.set_inputs({1: 4})
    m = recorder.wait_for(lambda m: m.topic == topic("meet-a", "in/1")
                          and _body(m)["count"] == 4, what="count 4")
    _valid(layout, m)


def test_entrance_totals_survive_a_reboot(make_node: NodeFactory, recorder: Recorder,
                                          layout: Layout) -> None:
    """Totals restart at 0 under a new boot id: summed per boot, nothing twice, nothing lost."""
    door = topic("door-1", "in/1")
    node = make_node("door-1", kind="entrance")
    node.set_inputs({1: (100, 40)})  # before boot: a counter that was off saw none of it
    node.start()
    first = recorder.wait_for(lambda m: m.topic == door, what="boot totals")
    boot_a = _body(first)["boot"]
    assert (_body(first)["in"], _body(first)["out"]) == (0, 0)
    node.set_inputs({1: (105, 43)})
    recorder.wait_for(lambda m: m.topic == door and _body(m)["in"] == 5 and _body(m)["out"] == 3,
                      what="5 in, 3 out")
    node.kill()  # power cut
    node.start()
    second = recorder.wait_for(lambda m: m.topic == door and _body(m)["boot"] != boot_a,
                               what="totals of the new boot")
    assert (_body(second)["in"], _body(second)["out"]) == (0, 0)
    node.set_inputs({1: (109, 44)})
    recorder.wait_for(lambda m: m.topic == door and _body(m)["boot"] != boot_a
                      and _body(m)["in"] == 4 and _body(m)["out"] == 1,
                      what="4 in, 1 out after the reboot")
    final: dict[object, tuple[int, int]] = {}
    for m in recorder.messages(door):
        _valid(layout, m)
        b = _body(m)
        prev = final.get(b["boot"], (0, 0))
        now = (int(b["in"]), int(b["out"]))  # type: ignore[call-overload]
        assert now >= prev, "running totals never go back within a boot"
        final[b["boot"]] = now
    assert len(final) == 2
    assert tuple(map(sum, zip(*final.values(), strict=True))) == (109 - 100, 44 - 40)


def test_wifi_drop_goes_offline_and_delivers_what_was_queued(make_node: NodeFactory,
                                                             recorder: Recorder) -> None:
    status = topic("desk-q1", "status")
    node = make_node("desk-q1").start()
    recorder.wait_for(lambda m: m.topic == status and m.payload == b"online", what="online")
    node.set_link(False)
    # The node's socket dies with its link; the broker publishes its will.
    recorder.wait_for(lambda m: m.topic == status and m.payload == b"offline", what="offline")
    node.set_inputs({1: True})
    node.set_link(True)
    recorder.wait_for(lambda m: m.topic == topic("desk-q1", "in/1")
                      and _body(m)["present"] is True, timeout=15, what="queued flip")
    assert recorder.messages(status)[-1].payload == b"online"


# Readings each kind flips between while it publishes.
_STEPS: dict[str, list[dict[int, InputValue]]] = {
    "desk": [{1: True, 2: False}, {1: False, 2: True}],
    "buzz": [{1: 5, 2: 61.5}, {1: 9, 2: 67.0}],
    "meeting": [{1: 2, 2: True}, {1: 4, 2: False}],
    "entrance": [{1: (3, 1)}, {1: (6, 2)}],
}
_BUZZ = {"inputs": [{"n": 1, "sensor": "radar", "settle_ms": 0},
                    {"n": 2, "sensor": "mic", "interval_s": 5}]}


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
@pytest.mark.parametrize("kind,node_id", [("desk", "desk-q1"), ("buzz", "buzz-n"),
                                          ("meeting", "meet-a"), ("entrance", "door-1")])
def test_compiled_node_runs_in_a_small_heap(make_node: NodeFactory, recorder: Recorder,
                                            kind: str, node_id: str, tls: bool) -> None:
    """Each kind in the heap it is held to, in plain text and over TLS (HEAP_KB_TLS)."""
    heap_kb = (HEAP_KB_TLS if tls else HEAP_KB)[kind]
    node = make_node(node_id, tls=tls, kind=kind, inputs=4, heartbeat_s=5,
                     heapsize=f"{heap_kb}K", compiled=True,
                     overrides=_BUZZ if kind == "buzz" else None).start()
    hbs: list[Message] = []
    for i in range(2):  # boot, then steady publishing
        node.set_inputs(_STEPS[kind][i])
        hbs.append(recorder.wait_for(lambda m: m.topic == topic(node_id, "heartbeat")
                                     and m not in hbs, timeout=15, what="heartbeat"))
    assert node.alive(), node.output()
    assert "MemoryError" not in node.output()
    assert all(parse_heartbeat(m.payload).heap_free > 0 for m in hbs)
