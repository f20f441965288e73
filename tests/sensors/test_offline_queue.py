"""The node's QoS 1 queue across a broker outage: order kept, overflow counted, and a
full queue held in the node's small heap."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from devstack.mosquitto import Mosquitto
from devstack.nodes import MicroNode
from hubsense.contract import parse_heartbeat
from tests.sensors.conftest import HEAP_KB, HEAP_KB_TLS, NodeFactory, Recorder, topic

pytestmark = pytest.mark.services

NODE = "desk-q1"
IN1 = topic(NODE, "in/1")
# The smallest record an in/1 message takes in the node's ring (length, topic
# length, topic, payload): no more than queue_bytes // this fit.
MIN_RECORD = 3 + len(IN1) + len('{"seq":0,"ts":1795425997408,"synced":true,"present":true}')


def _seq(payload: bytes) -> int:
    return int(json.loads(payload)["seq"])


def _flip_while_offline(node: MicroNode, flips: int) -> None:
    """Toggle input 1 slowly enough for the node (poll 50 ms, sample 100 ms) to see each."""
    for i in range(flips):
        node.set_inputs({1: i % 2 == 0})
        time.sleep(0.3)


def _outage(broker: Mosquitto, make_node: NodeFactory, flips: int, heartbeat_s: int,
            overrides: dict[str, object] | None = None,
            **node: object) -> tuple[Recorder, MicroNode, int, int]:
    """Stop the broker, flip input 1 `flips` times, restart it.

    Returns the recorder, the node, the last seq seen before the outage and
    the time (ms since the epoch, the node's clock is this host's) of the restart.
    """
    rec = Recorder(broker, persistent=True)
    n = make_node(NODE, heartbeat_s=heartbeat_s, overrides={
        "broker": {"backoff_ms": [300, 600]}, **(overrides or {})}, **node)
    n.start()
    # The boot heartbeat ends the boot burst (inputs first, then the heartbeat).
    rec.wait_for(lambda m: m.topic == topic(NODE, "heartbeat"), what="boot heartbeat")
    before = max(_seq(m.payload) for m in rec.messages() if m.payload.startswith(b"{"))
    broker.stop()
    _flip_while_offline(n, flips)
    restarted_ms = int(time.time() * 1000)
    broker.start()
    return rec, n, before, restarted_ms


def _after_outage(rec: Recorder, before: int, restarted_ms: int) -> tuple[list[int], int, int]:
    """Wait for a heartbeat made after the outage; return the seqs that arrived
    between the outage's start and it (in arrival order), its seq and its drop count."""
    # A heartbeat made after the outage has the final count: nothing is dropped online.
    hb = rec.wait_for(lambda m: m.topic == topic(NODE, "heartbeat")
                      and parse_heartbeat(m.payload).ts > restarted_ms, timeout=20,
                      what="heartbeat after the outage")
    beat = parse_heartbeat(hb.payload)
    arrived = [_seq(m.payload) for m in rec.messages()
               if m.payload.startswith(b"{") and before < _seq(m.payload) < beat.seq]
    return arrived, beat.seq, beat.drops


@pytest.mark.parametrize("node", [
    {},
    # A new TLS session after the restart (a new socket wrapped by the context
    # made at boot, after failed attempts during the outage), in the TLS heap.
    {"tls": True, "compiled": True, "heapsize": f"{HEAP_KB_TLS['desk']}K"},
], ids=["plain", "tls"])
def test_outage_messages_arrive_in_order_after_reconnect(broker: Mosquitto,
                                                         make_node: NodeFactory,
                                                         node: dict[str, Any]) -> None:
    rec, n, before, _ = _outage(broker, make_node, flips=6, heartbeat_s=3600, **node)
    try:
        rec.wait_for(lambda m: m.topic == IN1 and _seq(m.payload) == before + 6, timeout=20,
                     what="the last flip after reconnect")
        after = [m for m in rec.messages(IN1) if _seq(m.payload) > before]
        seqs = [_seq(m.payload) for m in after]
        assert seqs == list(range(before + 1, before + 7)), "lost or reordered"
        assert [json.loads(m.payload)["present"] for m in after] == [True, False] * 3
        assert rec.messages(topic(NODE, "status"))[-1].payload == b"online"
        assert "MemoryError" not in n.output()
    finally:
        rec.close()


def test_overflow_drops_oldest_and_heartbeat_counts_them(broker: Mosquitto,
                                                         make_node: NodeFactory) -> None:
    rec, _, before, restarted_ms = _outage(broker, make_node, flips=10, heartbeat_s=5,
                                           overrides={"queue_bytes": 400})
    try:
        arrived, hb_seq, drops = _after_outage(rec, before, restarted_ms)
        # Only the newest survived the outage, and arrived in order.
        assert arrived == sorted(arrived)
        missing = (hb_seq - before - 1) - len(set(arrived))  # QoS 1 may repeat one
        assert missing == drops
        assert missing >= 10 - 400 // MIN_RECORD
    finally:
        rec.close()


def test_full_queue_in_an_outage_fits_the_small_heap(broker: Mosquitto,
                                                     make_node: NodeFactory) -> None:
    """The compiled node in the heap it is held to, its default queue overflowing:
    the ring was allocated at boot, so a long outage takes no more RAM."""
    flips = 24  # twice what the default 1024-byte queue holds, heartbeats besides
    rec, node, before, restarted_ms = _outage(
        broker, make_node, flips=flips, heartbeat_s=5, inputs=4, compiled=True,
        heapsize=f"{HEAP_KB['desk']}K")
    try:
        arrived, hb_seq, drops = _after_outage(rec, before, restarted_ms)
        assert node.alive(), node.output()
        assert "MemoryError" not in node.output()
        assert arrived == sorted(arrived)
        assert (hb_seq - before - 1) - len(set(arrived)) == drops
        assert drops >= flips - 1024 // MIN_RECORD
        # The newest flips arrived, the last one last.
        ins = [json.loads(m.payload) for m in rec.messages(IN1)
               if before < _seq(m.payload) < hb_seq]
        assert ins[-1]["present"] is (flips % 2 == 1)
    finally:
        rec.close()
