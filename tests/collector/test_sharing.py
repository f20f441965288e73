"""Two collectors sharing node traffic through `$share/<group>/…` on a real Mosquitto.

Every message is written exactly once between them, and the one live-state
owner still sees the whole stream: its zone state and visits are what one
collector alone would compute, not what its share of the messages says.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.service import Collector
from deploy.broker import Role
from devstack.mosquitto import Mosquitto
from devstack.processes import free_port
from hubsense.contract import ROOT, input_topic
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import Credentials, Settings
from tests.collector.conftest import SITE, NodeSim, count, stream, wait_for
from tests.collector.test_resilience import assert_exactly_once

pytestmark = pytest.mark.services

N = 3000
DOORS = 200


def login(broker: Mosquitto, user: str) -> Credentials:
    """A collector login of its own: the broker allows one connection per login."""
    return Credentials(username=user, password=broker.add_login(user, Role.COLLECTOR))


def member(base: Settings, tmp_path: Path, broker: Mosquitto, name: str,
           live_state: bool) -> Settings:
    c = base.collector.model_copy(update={
        "mqtt": login(broker, name), "state_mqtt": login(broker, f"{name}-state")
        if live_state else None, "share_group": "ingest",
        "live_state": live_state, "spool_dir": tmp_path / name / "spool",
        "metrics_port": free_port()})
    return base.model_copy(update={"collector": c})


@pytest.fixture
def pair(collector_settings: Settings, layout: Layout, broker: Mosquitto,
         tmp_path: Path) -> Iterator[tuple[Collector, Collector]]:
    owner = Collector(member(collector_settings, tmp_path, broker, "owner", True),
                      layout).start()
    other = Collector(member(collector_settings, tmp_path, broker, "other", False),
                      layout).start()
    yield owner, other
    other.stop()
    owner.stop()


def doors(n: int) -> list[tuple[str, bytes]]:
    """Entrance running totals of one boot: 2 in and 1 out per message."""
    t0 = stream(1)[0]
    ts0 = json.loads(t0[1])["ts"] - n * 1000
    return [(input_topic(SITE, "door-1", 1),
             json.dumps({"seq": i, "ts": ts0 + i * 1000, "synced": True, "boot": "b007",
                         "in": 2 * i, "out": i}).encode()) for i in range(n)]


def visits(db: InfluxV1) -> tuple[int, int]:
    s = db.query('SELECT sum("in"), sum("out") FROM "visits"')
    return (int(s[0].values[0][1]), int(s[0].values[0][2])) if s else (0, 0)


def test_two_collectors_write_every_message_once_and_one_keeps_live_state(
        pair: tuple[Collector, Collector], tester: NodeSim, influx: InfluxV1) -> None:
    owner, other = pair
    wait_for(lambda: tester.get(f"{ROOT}/{SITE}/collector/status") == b"online",
             what="owner online")
    tester.status("buzz-n", True)
    tester.status("door-1", True)
    msgs, passes = stream(N), doors(DOORS)
    # Shuffled together (each node's own order kept), so each member gets some of both.
    at = set(random.Random(4).sample(range(N + DOORS), DOORS))
    it_p, it_m = iter(passes), iter(msgs)
    mixed = [next(it_p) if i in at else next(it_m) for i in range(N + DOORS)]
    tester.publish_many(mixed)

    assert_exactly_once(influx, N)
    wait_for(lambda: count(influx, "passage", "in_total") == DOORS, what="passages")
    total = N + DOORS + 2  # the two status messages too
    wait_for(lambda: owner.metrics.messages + other.metrics.messages >= total,
             what="all messages received")
    wait_for(lambda: owner.writer.idle.is_set() and other.writer.idle.is_set(), what="idle")
    # No message went to both, none to neither, and both took a share.
    assert owner.metrics.messages + other.metrics.messages == total
    assert owner.metrics.messages > 0 and other.metrics.messages > 0
    assert owner.ingest.live is None and owner.feed is not None and other.live is None

    # Visits from consecutive totals across both shares: the first total starts the count.
    wait_for(lambda: visits(influx) == (2 * (DOORS - 1), DOORS - 1),
             what="visits of the whole stream")
    # Live state from every message, whichever member wrote its point.
    last = json.loads(msgs[-1][1])["count"]
    wait_for(lambda: (z := tester.state("zone", "buzz-north")) and z["occupied"] == last
             and not z["stale"], what=f"buzz-north occupied {last}")
    # A status change is one point, from the owner, not one per member.
    wait_for(lambda: count(influx, "node_status", "online") == 2, what="two status points")
    assert count(influx, "visits", "in") == DOORS - 1


def test_a_member_leaving_and_returning_loses_nothing(
        collector_settings: Settings, layout: Layout, tester: NodeSim, influx: InfluxV1,
        broker: Mosquitto, tmp_path: Path) -> None:
    owner_s = member(collector_settings, tmp_path, broker, "owner", True)
    other_s = member(collector_settings, tmp_path, broker, "other", False)
    msgs = stream(N)
    with Collector(owner_s, layout).start():
        other = Collector(other_s, layout).start()
        tester.publish_many(msgs[:1000])
        wait_for(lambda: count(influx, "zone_count") == 1000, what="first third")
        other.stop()  # its persistent session stays, still a member of the group
        tester.publish_many(msgs[1000:2000])
        other = Collector(other_s, layout).start()
        tester.publish_many(msgs[2000:])
        try:
            assert_exactly_once(influx, N)
        finally:
            other.stop()
