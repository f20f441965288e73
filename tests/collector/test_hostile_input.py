"""What a stolen node can send, through a real broker and collector into a real InfluxDB:
refused (counted, logged, never written) or bounded, and never at another node's cost."""

from __future__ import annotations

import json
import time

import pytest

from collector.service import Collector
from hubsense.contract import Reject, input_topic, node_topic
from hubsense.influx import InfluxV1
from tests.collector.conftest import SITE, NodeSim, count, wait_for

pytestmark = pytest.mark.services


def now() -> int:
    return int(time.time() * 1000)


def heartbeat(**override: object) -> bytes:
    hb = {"seq": 1, "ts": now(), "synced": True, "boot": "9f3a51c2", "fw": "0.1.0",
          "uptime_s": 12, "heap_free": 61440, "rssi": -61, "drops": 0, **override}
    return json.dumps(hb).encode()


def cases() -> list[tuple[str, bytes, Reject]]:
    t = now()
    door = input_topic(SITE, "door-1", 1)
    return [
        # integers that are no times, counters or heaps, one beyond InfluxDB's int64
        (node_topic(SITE, "buzz-s", "heartbeat"), heartbeat(uptime_s=2**63), Reject.RANGE),
        (node_topic(SITE, "buzz-s", "heartbeat"), heartbeat(heap_free=2**40), Reject.RANGE),
        (node_topic(SITE, "buzz-s", "heartbeat"), heartbeat(drops=-1), Reject.RANGE),
        (node_topic(SITE, "buzz-s", "heartbeat"), heartbeat(ts=2**63), Reject.RANGE),
        (input_topic(SITE, "buzz-n", 1),
         b'{"seq": 1, "ts": %d, "count": 1e400}' % t, Reject.PAYLOAD),
        # a field named twice: a parser keeps the last, so the first could hide anything
        (input_topic(SITE, "desk-q1", 1),
         b'{"seq": 1, "ts": %d, "present": true, "present": false}' % t, Reject.PAYLOAD),
        (door, b'{"seq": 1, "ts": %d, "boot": "ab12", "boot": "cd34", "in": 1, "out": 0}' % t,
         Reject.PAYLOAD),
        # fields go by their wire names only
        (door, b'{"seq": 1, "ts": %d, "boot": "ab12", "ins": 1, "outs": 0}' % t,
         Reject.PAYLOAD),
    ]


def test_hostile_payloads_are_refused_and_good_ones_still_written(
        collector: Collector, tester: NodeSim, influx: InfluxV1) -> None:
    bad = cases()
    t = now()
    for i, (topic, payload, _) in enumerate(bad):
        tester.publish(topic, payload)
        # another node's good message in the same batch, each its own point
        tester.observe("meet-a", 1, ts=t - i, count=2)
    wait_for(lambda: count(influx, "zone_count") == len(bad), what="every good point")
    expected: dict[str, int] = {}
    for _, _, reason in bad:
        expected[reason.value] = expected.get(reason.value, 0) + 1
    assert {r: n for r, n in collector.metrics.rejected.items() if n} == expected
    assert collector.metrics.points_dropped == 0
    assert count(influx, "node_heartbeat", "uptime_s") == 0
    assert count(influx, "passage", "in_total") == 0


def test_points_influxdb_refuses_cost_only_themselves(
        collector: Collector, tester: NodeSim, influx: InfluxV1) -> None:
    """A field type conflict makes InfluxDB refuse a whole batch; the writer halves it
    until only the conflicting points are left out, and counts just those."""
    t = now()
    influx.create_database()
    # zone_count.count as a float: every integer count now conflicts.
    influx.write_lines(f"zone_count,site={SITE},zone=x count=1.5 {t - 60_000}".encode())
    tester.publish_many(
        [(input_topic(SITE, "meet-a", 1),
          json.dumps({"seq": i, "ts": t - 1000 * i, "count": i}).encode()) for i in range(1, 6)]
        + [(input_topic(SITE, "desk-q1", n),
            json.dumps({"seq": n, "ts": t, "present": True}).encode()) for n in range(1, 5)])
    wait_for(lambda: count(influx, "presence", "present") == 4, what="the good points")
    wait_for(lambda: collector.metrics.points_dropped == 5, what="only the five counted")
    assert count(influx, "zone_count", "count") == 1  # the seeded one
