"""Fixtures for firmware tests: a recording subscriber and node processes on the test broker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from devstack.mosquitto import Mosquitto
from devstack.nodes import MicroNode

SITE = "hbg-works"
# The heap (-X heapsize, KB) each kind of compiled node flashed by hand is held to:
# the 32 (bench/firmware_memory.py finds the smallest each needs). The
# buzz node, at the edge before, needs 33 since the client and the node carry
# the hooks of updates (about 0.3 KB for good: sensors/README.md, Memory).
HEAP_KB = {"desk": 32, "buzz": 33, "meeting": 32, "entrance": 32}
# The same over TLS (bench/firmware_memory.py --tls): the TLS context takes
# about 3 KB of the GC heap for good and each session's socket 0.5 KB more, so
# no kind fits 32 KB on the unix port; mbedTLS's own buffers are in the C heap.
HEAP_KB_TLS = {"desk": 36, "buzz": 37, "meeting": 36, "entrance": 36}

# Modules under firmware/ are MicroPython programs, run by test_firmware_units.py.
collect_ignore = ["firmware"]


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool


class Recorder:
    """A superuser subscription to `#` that keeps every message it sees."""

    def __init__(self, broker: Mosquitto, topic: str = "#", persistent: bool = False) -> None:
        """`persistent`: a session the broker keeps (and queues for) across its restarts."""
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"rec-{time.monotonic_ns()}",
                                  clean_session=not persistent)
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.username_pw_set(*broker.users.take_admin())
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert self._subscribed.wait(10), "recorder did not subscribe"

    def _on_message(self, _c: mqtt.Client, _u: object, m: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._messages.append(Message(m.topic, bytes(m.payload), bool(m.retain)))

    def messages(self, topic: str | None = None) -> list[Message]:
        with self._lock:
            return [m for m in self._messages if topic is None or m.topic == topic]

    def wait_for(self, match: Callable[[Message], bool], timeout: float = 10.0,
                 what: str = "message") -> Message:
        """Return the first recorded message that matches, polling until the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            for m in self.messages():
                if match(m):
                    return m
            if time.monotonic() > deadline:
                seen = "\n".join(f"  {m.topic} {m.payload!r}" for m in self.messages()[-20:])
                raise AssertionError(f"no {what} within {timeout} s; last seen:\n{seen}")
            time.sleep(0.02)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def topic(node: str, leaf: str) -> str:
    return f"hubsense/v1/{SITE}/node/{node}/{leaf}"


@pytest.fixture
def recorder(broker: Mosquitto) -> Iterator[Recorder]:
    rec = Recorder(broker)
    yield rec
    rec.close()


NodeFactory = Callable[..., MicroNode]


@pytest.fixture
def make_node(tmp_path: Path, broker: Mosquitto) -> Iterator[NodeFactory]:
    """Build MicroNodes for layout node ids on the test broker; all are stopped afterwards.

    `tls`: connect to the broker's TLS listener, trusting the site CA unless
    `ca_der` names another (or None: no CA configured, plain MQTT to that port).
    """
    started: list[MicroNode] = []

    def make(node_id: str = "desk-q1", tls: bool = False, **kw: Any) -> MicroNode:
        port = broker.port
        if tls:
            assert broker.tls_port is not None
            port = broker.tls_port
            kw.setdefault("ca_der", broker.tls.ca_der)
        node = MicroNode(tmp_path / f"node-{node_id}-{len(started)}", node_id, SITE,
                         broker.host, port, broker.users.passwords[node_id], **kw)
        started.append(node)
        return node

    yield make
    for node in started:
        node.stop()
