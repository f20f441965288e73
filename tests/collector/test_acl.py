"""The broker as hubsense ships it refuses what a node must not do (real Mosquitto 2.0.11).

Mosquitto grants every SUBSCRIBE and applies the ACL to each message it
delivers, so a node subscribing to `#` gets "granted" and then nothing: what
is asserted is that nothing arrives. A refused MQTT 5 publish gets PUBACK
reason 0x87 (not authorized); MQTT 3.1.1, which the firmware speaks, has no
reason codes, so there the broker acknowledges and drops it. A wrong password
gets CONNACK 0x87 (Mosquitto answers "not authorized", not 0x86).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from devstack.mosquitto import Mosquitto
from hubsense.contract import input_topic
from tests.collector.conftest import SITE, NodeSim, wait_for

pytestmark = pytest.mark.services

NOT_AUTHORIZED = 0x87


class Client:
    """A node-like client that records every reply the broker gives it."""

    def __init__(self, host: str, port: int, user: str, password: str,
                 protocol: int = mqtt.MQTTv5, client_id: str | None = None,
                 clean: bool = True) -> None:
        self.connack: ReasonCode | None = None
        self.pubacks: list[ReasonCode] = []
        self.received: list[str] = []
        self.disconnects = 0
        c = mqtt.Client(CallbackAPIVersion.VERSION2,
                        client_id=client_id or f"{user}-{uuid.uuid4().hex[:6]}",
                        protocol=protocol,
                        clean_session=clean if protocol != mqtt.MQTTv5 else None)
        c.username_pw_set(user, password)
        c.on_connect = self._on_connect
        c.on_publish = lambda _c, _u, _m, rc, _p: self.pubacks.append(rc)
        c.on_message = lambda _c, _u, msg: self.received.append(msg.topic)
        c.on_disconnect = self._on_disconnect
        self.client = c
        if protocol == mqtt.MQTTv5:
            c.connect_async(host, port, clean_start=clean)
        else:
            c.connect_async(host, port)
        c.loop_start()

    def _on_disconnect(self, *_a: Any) -> None:
        self.disconnects += 1

    def _on_connect(self, _c: Any, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        self.connack = rc

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def spy(broker: Mosquitto) -> Iterator[NodeSim]:
    """A superuser that sees everything published on the broker."""
    s = NodeSim(broker)
    s.client.subscribe("#", qos=1)
    time.sleep(0.2)
    yield s
    s.close()


def node(broker: Mosquitto, user: str, protocol: int = mqtt.MQTTv5) -> Client:
    c = Client(broker.host, broker.port, user, broker.users.passwords[user], protocol)
    wait_for(lambda: c.connack is not None, what=f"{user} connected")
    assert c.connack is not None and not c.connack.is_failure
    return c


def test_a_node_cannot_publish_under_another_nodes_id(broker: Mosquitto, spy: NodeSim) -> None:
    q1 = node(broker, "desk-q1")
    q2_311 = node(broker, "desk-q2", mqtt.MQTTv311)
    try:
        q1.client.publish(input_topic(SITE, "desk-q2", 1), b"spoofed-5", qos=1)
        q2_311.client.publish(input_topic(SITE, "desk-q1", 3), b"spoofed-311", qos=1)
        # Its own id works, and proves the spy would have seen the others.
        q1.client.publish(input_topic(SITE, "desk-q1", 1), b"own", qos=1)
        wait_for(lambda: spy.get(input_topic(SITE, "desk-q1", 1)) == b"own", what="own topic")
        wait_for(lambda: len(q1.pubacks) == 2, what="two PUBACKs")
        wait_for(lambda: len(q2_311.pubacks) == 1, what="the 3.1.1 PUBACK")  # handled, dropped
        assert [rc.value for rc in q1.pubacks] == [NOT_AUTHORIZED, 0]
        assert spy.get(input_topic(SITE, "desk-q2", 1)) is None
        assert spy.get(input_topic(SITE, "desk-q1", 3)) is None
    finally:
        q1.close()
        q2_311.close()


@pytest.mark.parametrize("pattern", ["#", f"hubsense/v1/{SITE}/node/+/in/+", "$share/g/#"])
def test_a_node_reads_nothing(broker: Mosquitto, spy: NodeSim, pattern: str) -> None:
    q1 = node(broker, "desk-q1")
    try:
        q1.client.subscribe(pattern, qos=1)
        q1.client.subscribe(f"hubsense/v1/{SITE}/node/desk-q1/#", qos=1)  # not even its own
        time.sleep(0.3)
        for n, topic in enumerate([input_topic(SITE, "desk-q2", 1),
                                   input_topic(SITE, "desk-q1", 1),
                                   f"hubsense/v1/{SITE}/state/zone/quiet"]):
            spy.publish(topic, f"m{n}")
        q1.client.publish(input_topic(SITE, "desk-q1", 2), b"own", qos=1)
        wait_for(lambda: spy.get(input_topic(SITE, "desk-q1", 2)) == b"own", what="delivered")
        time.sleep(0.3)  # give the broker every chance to deliver what it should not
        assert q1.received == []
    finally:
        q1.close()


@pytest.mark.parametrize("user", ["desk-q1", "collector", "nobody"])
def test_a_wrong_password_is_refused(broker: Mosquitto, user: str) -> None:
    c = Client(broker.host, broker.port, user, "not-the-password-at-all")
    try:
        wait_for(lambda: c.connack is not None, what="CONNACK")
        assert c.connack is not None and c.connack.value == NOT_AUTHORIZED
        assert not c.client.is_connected()
    finally:
        c.close()


def offer_topic(node_id: str) -> str:
    return f"hubsense/v1/{SITE}/node/{node_id}/ota"


def test_a_node_reads_its_own_update_offer_and_no_other(broker: Mosquitto,
                                                        spy: NodeSim) -> None:
    q1 = node(broker, "desk-q1", mqtt.MQTTv311)
    try:
        for pattern in (offer_topic("desk-q1"), offer_topic("desk-q2"), "#",
                        f"hubsense/v1/{SITE}/node/+/ota"):
            q1.client.subscribe(pattern, qos=0)
        time.sleep(0.3)
        spy.publish(offer_topic("desk-q2"), '{"release": 7, "version": "0.7.0"}')
        spy.publish(offer_topic("desk-q1"), '{"release": 8, "version": "0.8.0"}')
        wait_for(lambda: offer_topic("desk-q1") in q1.received, what="its own offer")
        time.sleep(0.3)
        assert set(q1.received) == {offer_topic("desk-q1")}
    finally:
        q1.close()


@pytest.mark.parametrize("user", ["desk-q1", "collector", "api", "homeassistant"])
def test_only_the_fleet_login_offers_updates(broker: Mosquitto, spy: NodeSim, user: str) -> None:
    c = node(broker, user)
    fleet = node(broker, "fleet")
    try:
        c.client.publish(offer_topic("desk-q1"), b'{"release": 99, "version": "6.6.6"}', qos=1)
        fleet.client.publish(offer_topic("desk-q2"), b'{"release": 3, "version": "0.3.0"}',
                             qos=1)
        wait_for(lambda: c.pubacks and fleet.pubacks, what="PUBACKs")
        assert c.pubacks[0].value == NOT_AUTHORIZED and fleet.pubacks[0].value == 0
        wait_for(lambda: spy.get(offer_topic("desk-q2")) is not None, what="the fleet's offer")
        assert spy.get(offer_topic("desk-q1")) is None
    finally:
        c.close()
        fleet.close()


def test_a_node_reports_its_own_update_only(broker: Mosquitto, spy: NodeSim) -> None:
    q1 = node(broker, "desk-q1")
    try:
        for n in ("desk-q2", "desk-q1"):
            q1.client.publish(f"hubsense/v1/{SITE}/node/{n}/update", b"{}", qos=1)
        wait_for(lambda: len(q1.pubacks) == 2, what="two PUBACKs")
        assert [rc.value for rc in q1.pubacks] == [NOT_AUTHORIZED, 0]
    finally:
        q1.close()


def test_the_fleet_login_writes_offers_and_status_and_nothing_a_node_says(
        broker: Mosquitto) -> None:
    fleet = node(broker, "fleet")
    try:
        for topic in (input_topic(SITE, "desk-q1", 1), f"hubsense/v1/{SITE}/node/desk-q1/update",
                      f"hubsense/v1/{SITE}/node/desk-q1/heartbeat",
                      f"hubsense/v1/{SITE}/state/node/desk-q1",
                      f"hubsense/v1/{SITE}/node/desk-q1/status"):
            fleet.client.publish(topic, b"", qos=1, retain=True)
        wait_for(lambda: len(fleet.pubacks) == 5, what="five PUBACKs")
        # 0x10 "no matching subscribers" is a success too: nobody listens here.
        assert [rc.is_failure for rc in fleet.pubacks] == [True] * 4 + [False]
        assert [rc.value for rc in fleet.pubacks][:4] == [NOT_AUTHORIZED] * 4
    finally:
        fleet.close()
