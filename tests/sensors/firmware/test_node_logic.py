"""Node payloads and the no-allocation sampling loop."""

import json
import os

import micropython
from hubsense_node import config
from hubsense_node.drivers.sim import ControlFile, SimSignal
from hubsense_node.inputs import build
from hubsense_node.node import Node
from hubsense_node.ring import Ring

RAW = {
    "node": "desk-q1", "site": "hbg-works", "kind": "desk",
    "broker": {"host": "127.0.0.1", "password": "pw"},
    "inputs": [{"n": 1, "sensor": "pir", "settle_ms": 0, "hold_s": 0},
               {"n": 2, "sensor": "pir", "settle_ms": 0, "hold_s": 0}],
}


def make():
    cfg = config.validate(json.loads(json.dumps(RAW)))
    sims = [SimSignal(), SimSignal()]
    q = Ring(2048)
    node = Node(cfg, q, "abcd1234", b"hubsense/v1/hbg-works/node/desk-q1/status")
    node.add(build(cfg, sims, 0, "abcd1234"))
    node.synced = True
    return node, sims, q


def drain(q):
    out = []
    while q.peek() is not None:
        topic, payload = q.peek()
        out.append((bytes(topic).decode(), json.loads(bytes(payload))))
        q.pop(q.first)
    return out


def test_change_publishes_once():
    node, sims, q = make()
    sims[1].set(1)
    node.sample(0)
    node.sample(100)
    [(topic, body)] = drain(q)
    assert topic == "hubsense/v1/hbg-works/node/desk-q1/in/2"
    assert body["present"] is True and body["seq"] == 0 and body["synced"] is True
    assert body["ts"] > 1700000000000


def test_heartbeat_republishes_inputs_then_health():
    node, _, q = make()
    node.heartbeat()
    msgs = drain(q)
    assert [t.rsplit("/", 1)[1] for t, _ in msgs] == ["1", "2", "heartbeat"]
    assert [b["seq"] for _, b in msgs] == [0, 1, 2]
    hb = msgs[2][1]
    assert hb["boot"] == "abcd1234" and hb["drops"] == 0 and "rssi" not in hb


def test_sampling_allocates_nothing():
    node, _, q = make()
    node.sample(0)
    micropython.heap_lock()  # any allocation now raises MemoryError
    try:
        for t in range(100, 2000, 100):
            node.sample(t)
    finally:
        micropython.heap_unlock()
    assert len(q) == 0


def test_control_file_sets_sensors():
    path = os.getenv("HUBSENSE_TMP") + "/inputs"
    with open(path, "w") as f:
        f.write("1=1\n2=0\n9=1\nbad\n")
    a, b = SimSignal(), SimSignal()
    c = ControlFile(path, {1: a, 2: b})
    assert c.poll() and a.value() == 1 and b.value() == 0
    assert not c.poll()  # unchanged bytes are not parsed again
    with open(path, "w") as f:
        f.write("2=7\n")
    assert c.poll() and a.value() == 1 and b.count() == 7


def test_control_file_reads_mic_levels_in_db_with_or_without_a_point():
    from hubsense_node.drivers.sim import make as make_sim

    path = os.getenv("HUBSENSE_TMP") + "/inputs"
    mic, radar = make_sim("sound"), make_sim("count")
    c = ControlFile(path, {1: radar, 2: mic})
    assert mic.level_cdb() is None  # nothing measured before the file sets it
    for text, cdb in (("2=60", 6000), ("2=60.0", 6000), ("2=58.5", 5850), ("2=0", 0)):
        with open(path, "w") as f:
            f.write("1=7\n" + text + "\n")
        assert c.poll()
        assert mic.level_cdb() == cdb, (text, mic.level_cdb())
        assert radar.count() == 7


KINDS = {
    "buzz": [{"n": 1, "sensor": "radar", "settle_ms": 0},
             {"n": 2, "sensor": "mic", "interval_s": 5}],
    "meeting": [{"n": 1, "sensor": "radar", "settle_ms": 0},
                {"n": 2, "sensor": "pir", "settle_ms": 0, "hold_s": 0}],
    "entrance": [{"n": 1, "sensor": "beams"}],
}


def make_kind(kind):
    from hubsense_node.drivers.sim import make as make_sim

    raw = json.loads(json.dumps(RAW))
    raw["kind"], raw["inputs"] = kind, KINDS[kind]
    cfg = config.validate(raw)
    sims = [make_sim(i["measure"]) for i in cfg["inputs"]]
    q = Ring(1024)
    node = Node(cfg, q, "abcd1234", b"hubsense/v1/hbg-works/node/desk-q1/status")
    node.add(build(cfg, sims, 0, "abcd1234"))
    return node, sims, q


def test_every_kind_samples_without_allocating():
    for kind in KINDS:
        node, sims, _ = make_kind(kind)
        for s in sims:
            s.set((0, 0) if kind == "entrance" else 1)
        node.sample(0)
        micropython.heap_lock()
        try:
            for t in range(100, 4900, 100):  # below the sound interval: no report due
                node.sample(t)
        finally:
            micropython.heap_unlock()


def test_buzz_reports_sound_once_per_interval():
    node, sims, q = make_kind("buzz")
    sims[0].set(3)
    sims[1].set(55.0)
    for t in range(0, 5100, 100):
        node.sample(t)
    msgs = drain(q)
    assert [(t.rsplit("/", 1)[1], sorted(b)) for t, b in msgs] == [
        ("1", ["count", "seq", "synced", "ts"]),
        ("2", ["laeq", "lamax", "seq", "synced", "ts"])]
    assert msgs[0][1]["count"] == 3 and msgs[1][1]["lamax"] == 55.0


def test_entrance_publishes_running_totals_with_boot():
    node, sims, q = make_kind("entrance")
    sims[0].set((100, 50))
    sims[0].set((102, 51))
    for t in range(0, 2000, 100):
        node.sample(t)
    last = drain(q)[-1][1]
    assert (last["boot"], last["in"], last["out"]) == ("abcd1234", 2, 1)
