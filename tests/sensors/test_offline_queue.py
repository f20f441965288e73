"""The node's QoS 1 queue across a broker outage: order kept, overflow counted."""

from __future__ import annotations

import json
import time

import pytest

from hubsense.contract import parse_heartbeat
from hubsense.stack.mosquitto import Mosquitto
from hubsense.stack.nodes import MicroNode
from tests.sensors.conftest import NodeFactory, Recorder, topic

pytestmark = pytest.mark.services

NODE = "desk-q1"
IN1 = topic(NODE, "in/1")


def _seq(payload: bytes) -> int:
    return int(json.loads(payload)["seq"])


def _flip_while_offline(node: MicroNode, flips: int) -> None:
    """Toggle input 1 slowly enough for the node (poll 50 ms, sample 100 ms) to see each."""
    for i in range(flips):
        node.set_inputs({1: i % 2 == 0})
        time.sleep(0.3)


def _outage(broker: Mosquitto, make_node: NodeFactory, queue: int, flips: int,
            heartbeat_s: int) -> tuple[Recorder, int, int]:
    """Stop the broker, flip input 1 `flips` times, restart it.

    Returns the recorder, the last seq seen before the outage and the time
    (ms since the epoch, the node's clock is this host's) of the restart.
    """
    rec = Recorder(broker, persistent=True)
    node = make_node(NODE, heartbeat_s=heartbeat_s, overrides={
        "queue": queue, "broker": {"backoff_ms": [300, 600]}})
    node.start()
    # The boot heartbeat ends the boot burst (inputs first, then the heartbeat).
    rec.wait_for(lambda m: m.topic == topic(NODE, "heartbeat"), what="boot heartbeat")
    before = max(_seq(m.payload) for m in rec.messages() if m.payload.startswith(b"{"))
    broker.stop()
    _flip_while_offline(node, flips)
    restarted_ms = int(time.time() * 1000)
    broker.start()
    return rec, before, restarted_ms


def test_outage_messages_arrive_in_order_after_reconnect(broker: Mosquitto,
                                                         make_node: NodeFactory) -> None:
    rec, before, _ = _outage(broker, make_node, queue=32, flips=6, heartbeat_s=3600)
    try:
        rec.wait_for(lambda m: m.topic == IN1 and _seq(m.payload) == before + 6, timeout=20,
                     what="the last flip after reconnect")
        after = [m for m in rec.messages(IN1) if _seq(m.payload) > before]
        seqs = [_seq(m.payload) for m in after]
        assert seqs == list(range(before + 1, before + 7)), "lost or reordered"
        assert [json.loads(m.payload)["present"] for m in after] == [True, False] * 3
        assert rec.messages(topic(NODE, "status"))[-1].payload == b"online"
    finally:
        rec.close()


def test_overflow_drops_oldest_and_heartbeat_counts_them(broker: Mosquitto,
                                                         make_node: NodeFactory) -> None:
    rec, before, restarted_ms = _outage(broker, make_node, queue=4, flips=10, heartbeat_s=5)
    try:
        # A heartbeat made after the outage has the final count: nothing is dropped online.
        hb = rec.wait_for(lambda m: m.topic == topic(NODE, "heartbeat")
                          and parse_heartbeat(m.payload).ts > restarted_ms, timeout=15,
                          what="heartbeat after the outage")
        hb_seq = parse_heartbeat(hb.payload).seq
        seqs = sorted(_seq(m.payload) for m in rec.messages()
                      if m.payload.startswith(b"{") and before < _seq(m.payload) < hb_seq)
        # Only the newest `queue` survived the outage, and arrived in order.
        in_order = [_seq(m.payload) for m in rec.messages()
                    if m.payload.startswith(b"{") and before < _seq(m.payload) < hb_seq]
        assert in_order == seqs
        missing = (hb_seq - before - 1) - len(seqs)
        assert missing == parse_heartbeat(hb.payload).drops
        assert missing >= 10 - 4
    finally:
        rec.close()
