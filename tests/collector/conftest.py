"""Fixtures for the collector: settings for the real services, an in-process collector,
a superuser MQTT client that publishes as any node, and an InfluxDB reader."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.service import Collector
from devstack.mosquitto import Mosquitto
from devstack.processes import free_port
from hubsense.contract import ROOT, input_topic, node_topic
from hubsense.influx import InfluxError, InfluxV1
from hubsense.layout import Layout
from hubsense.settings import (
    CollectorSettings,
    Credentials,
    InfluxSettings,
    MqttSettings,
    Settings,
)
from tests.conftest import EXAMPLE_LAYOUT

SITE = "hbg-works"


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll until `check` returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class FakeClock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def collector_settings(broker: Mosquitto, influx_settings: InfluxSettings, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("HUBSENSE_CONFIG", raising=False)
    return Settings(
        layout=EXAMPLE_LAYOUT,
        mqtt=MqttSettings(port=broker.port),
        influx=influx_settings,
        collector=CollectorSettings(
            mqtt=Credentials(username="collector",
                             password=broker.users.passwords["collector"]),
            flush_interval_s=0.05, evaluate_interval_s=0.1,
            spool_dir=tmp_path / "collector" / "spool", metrics_port=free_port(),
        ),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector(collector_settings: Settings, layout: Layout,
              clock: FakeClock) -> Iterator[Collector]:
    c = Collector(collector_settings, layout, clock=clock).start()
    yield c
    c.stop()


class NodeSim:
    """An MQTT superuser: publishes as any node and watches retained state."""

    def __init__(self, broker: Mosquitto) -> None:
        self.seq = 0
        self.retained: dict[str, bytes] = {}
        self.received: Counter[str] = Counter()  # messages per topic, repeats included
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex}",
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(*broker.users.take_admin())
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.client.subscribe(f"{ROOT}/{SITE}/state/#", qos=1)
        self.client.subscribe(f"{ROOT}/{SITE}/collector/#", qos=1)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.retained[msg.topic] = msg.payload
            self.received[msg.topic] += 1

    def get(self, topic: str) -> bytes | None:
        with self._lock:
            return self.retained.get(topic)

    def count(self, topic: str) -> int:
        with self._lock:
            return self.received[topic]

    def state(self, what: str, ident: str) -> dict[str, Any] | None:
        raw = self.get(f"{ROOT}/{SITE}/state/{what}/{ident}")
        return json.loads(raw) if raw else None

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def publish_many(self, messages: list[tuple[str, bytes]]) -> None:
        """Publish QoS 1 without waiting on each; return once the broker has them all."""
        infos = [self.client.publish(t, p, qos=1) for t, p in messages]
        for info in infos:
            info.wait_for_publish(30)

    def observe(self, node: str, n: int, ts: int | None = None, **values: Any) -> int:
        """Publish an observation; returns its ts."""
        self.seq += 1
        ts = int(time.time() * 1000) if ts is None else ts
        body = {"seq": self.seq, "ts": ts, "synced": True, **values}
        self.publish(input_topic(SITE, node, n), json.dumps(body))
        return ts

    def status(self, node: str, online: bool) -> None:
        self.publish(node_topic(SITE, node, "status"), "online" if online else "offline",
                     retain=True)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def tester(broker: Mosquitto) -> Iterator[NodeSim]:
    t = NodeSim(broker)
    yield t
    t.close()


@pytest.fixture
def influx(influx_settings: InfluxSettings) -> Iterator[InfluxV1]:
    with InfluxV1(influx_settings) as db:
        yield db


def stream(n: int, node: str = "buzz-n", start_ms: int | None = None) -> list[tuple[str, bytes]]:
    """n distinct count observations, one second apart, ending about now."""
    t0 = int(time.time() * 1000) - n * 1000 if start_ms is None else start_ms
    return [(input_topic(SITE, node, 1),
             json.dumps({"seq": i, "ts": t0 + i * 1000, "synced": True,
                         "count": i % 1000}).encode()) for i in range(n)]


def count(db: InfluxV1, measurement: str, field: str = "seq") -> int:
    """Points in one measurement (0 when it does not exist yet)."""
    try:
        series = db.query(f'SELECT count("{field}") FROM "{measurement}"')
    except InfluxError as exc:
        if exc.missing:
            return 0
        raise
    return int(series[0].values[0][1]) if series else 0


def measurements(db: InfluxV1) -> set[str]:
    return {v[0] for s in db.query("SHOW MEASUREMENTS") for v in s.values}
