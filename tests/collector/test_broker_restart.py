"""Mosquitto restarted mid-stream, on the same port and data directory, as shipped.

A publisher with a persistent session sends a numbered QoS 1 stream; the
broker is restarted while it runs; the collector (persistent session too)
reconnects. Points are idempotent (node time + layout tags), so a redelivery
overwrites instead of doubling: what is counted is which numbers are in
InfluxDB, against what the publisher was promised.

What MQTT and Mosquitto promise, and so what is asserted:
- A message the publisher has no PUBACK for is its own to resend, and paho
  resends it after reconnecting: never lost.
- A graceful restart (SIGTERM) saves the whole state on exit: nothing lost.
- `kill -9`: Mosquitto keeps messages and sessions in memory and writes them
  to disk every `autosave_interval` (1 s as shipped). A message it had
  PUBACKed after its last save and not yet delivered to the collector dies
  with it; the publisher, holding a PUBACK, will not resend it. So a lost
  message must have been PUBACKed within the last autosave interval before
  the kill (plus scheduling slack); anything older, or never PUBACKed, must be
  in InfluxDB. Messages the collector had but not yet acknowledged are
  redelivered from the restored session: duplicates, written over themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.service import Collector
from deploy.broker import AUTOSAVE_INTERVAL_S
from devstack.mosquitto import Mosquitto
from hubsense.influx import InfluxV1
from tests.collector.conftest import count, stream, wait_for

pytestmark = pytest.mark.services

N = 6000
# Mosquitto's autosave interval as shipped (the docs promise this window), and
# slack for when its loop runs the save.
AUTOSAVE_S = float(AUTOSAVE_INTERVAL_S)
SLACK_S = 1.5


@dataclass
class Publisher:
    """A QoS 1 publisher with a persistent session that notes when each PUBACK came."""

    broker: Mosquitto
    acked_at: dict[int, float] = field(default_factory=dict)  # mid -> monotonic time
    infos: list[mqtt.MQTTMessageInfo] = field(default_factory=list)

    def __post_init__(self) -> None:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="restart-publisher",
                        protocol=mqtt.MQTTv5)
        c.username_pw_set(*self.broker.users.take_admin())
        c.on_publish = self._on_publish
        c.reconnect_delay_set(1, 2)
        c.max_inflight_messages_set(100)
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        c.connect(self.broker.host, self.broker.port, clean_start=False, properties=props)
        c.loop_start()
        self.client = c

    def _on_publish(self, _c: object, _u: object, mid: int, _rc: object, _p: object) -> None:
        self.acked_at[mid] = time.monotonic()

    def run(self, msgs: list[tuple[str, bytes]]) -> threading.Thread:
        """Publish in a steady trickle (queued by paho while the broker is away)."""
        def go() -> None:
            for i, (topic, payload) in enumerate(msgs):
                self.infos.append(self.client.publish(topic, payload, qos=1))
                if i % 50 == 49:
                    time.sleep(0.02)
        t = threading.Thread(target=go, daemon=True)
        t.start()
        return t

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker: Mosquitto) -> Iterator[Publisher]:
    p = Publisher(broker)
    yield p
    p.close()


def seqs(db: InfluxV1) -> set[int]:
    s = db.query('SELECT "seq" FROM "zone_count"')
    return {int(v[1]) for v in s[0].values} if s else set()


def restart_mid_stream(broker: Mosquitto, publisher: Publisher, collector: Collector,
                       influx: InfluxV1, kill: bool) -> tuple[set[int], float]:
    """Run the stream through a restart; return the numbers not in InfluxDB and the kill time."""
    time.sleep(2 * AUTOSAVE_S + 0.5)  # both sessions are on disk before anything happens
    thread = publisher.run(stream(N))
    wait_for(lambda: len(publisher.infos) >= N // 3, what="a third published")
    at = time.monotonic()
    if kill:
        broker.kill()
    else:
        broker.stop()
    broker.start()
    thread.join(60)
    # (info.is_published() raises for a message queued while disconnected: use our own.)
    wait_for(lambda: len(publisher.infos) == N and
             all(i.mid in publisher.acked_at for i in publisher.infos),
             timeout=60, what="every message PUBACKed")
    wait_for(collector.connected.is_set, timeout=20, what="collector reconnected")

    def settled() -> bool:
        n = count(influx, "zone_count")
        time.sleep(1.0)
        return collector.writer.idle.is_set() and count(influx, "zone_count") == n and n > 0
    wait_for(settled, timeout=60, what="InfluxDB settled")
    written = seqs(influx)
    assert count(influx, "zone_count") == len(written)  # no number twice
    lost = set(range(N)) - written
    dups = collector.metrics.messages - len(written)
    print(f"{'kill -9' if kill else 'graceful'}: {N} published, {len(written)} written, "
          f"{len(lost)} lost, {dups} delivered twice")
    assert dups >= 0
    return lost, at


def test_graceful_broker_restart_loses_nothing(
        broker: Mosquitto, publisher: Publisher, collector: Collector, influx: InfluxV1) -> None:
    lost, _ = restart_mid_stream(broker, publisher, collector, influx, kill=False)
    assert lost == set()


def test_broker_killed_loses_only_what_it_acked_since_its_last_save(
        broker: Mosquitto, publisher: Publisher, collector: Collector, influx: InfluxV1) -> None:
    lost, killed_at = restart_mid_stream(broker, publisher, collector, influx, kill=True)
    acked = {i: publisher.acked_at[info.mid] for i, info in enumerate(publisher.infos)
             if info.mid in publisher.acked_at}
    # mids are unique across the stream (N < 65535), so the PUBACK time is this message's.
    assert len(acked) == N
    outside = sorted(i for i in lost
                     if not killed_at - AUTOSAVE_S - SLACK_S <= acked[i] <= killed_at)
    assert outside == [], f"lost outside the autosave window: {outside[:20]}"
