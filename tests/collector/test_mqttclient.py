"""FastClient against a real Mosquitto: what paho would deliver, delivered the same."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.mqttclient import FastClient
from devstack.mosquitto import Mosquitto
from hubsense.contract import MAX_PACKET_SIZE
from hubsense.mqttlink import MAX_RECEIVE_PACKET, release
from tests.collector.conftest import wait_for

TOPIC = "hubsense/v1/hbg-works/node/t/"


def _client(broker: Mosquitto, cls: type[mqtt.Client] = mqtt.Client,
            login: tuple[str, str] | None = None, **kw: Any) -> mqtt.Client:
    """A client of its own login (the broker makes the login the client id and session)."""
    user, password = login or broker.users.take_admin()
    kw.setdefault("protocol", mqtt.MQTTv5)
    c = cls(CallbackAPIVersion.VERSION2, client_id=user, **kw)
    c.username_pw_set(user, password)
    return c


class Sink:
    def __init__(self) -> None:
        self.got: list[mqtt.MQTTMessage] = []
        self.lock = threading.Lock()

    def __call__(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.got.append(msg)


def _subscriber(broker: Mosquitto, sink: Sink, login: tuple[str, str] | None = None,
                session: bool = False, **kw: Any) -> FastClient:
    sub = _client(broker, FastClient, login, **kw)
    assert isinstance(sub, FastClient)
    subscribed = threading.Event()
    sub.on_message = sink
    sub.on_subscribe = lambda *_a: subscribed.set()
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 300 if session else 0
    sub.connect(broker.host, broker.port, clean_start=not session, properties=props)
    sub.subscribe(TOPIC + "#", qos=1)
    sub.loop_start()
    assert subscribed.wait(10), "no SUBACK"
    return sub


def test_delivers_every_size_qos_and_properties_like_paho(broker: Mosquitto) -> None:
    sink = Sink()
    sub = _subscriber(broker, sink)
    pub = _client(broker)
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.UserProperty = ("k", "v")
    # Sizes cross the remaining-length encodings (1 and 2 bytes) up to the broker's
    # packet size limit (larger ones never get through: see the test below).
    sent = [(f"{TOPIC}{i}", bytes([i % 251]) * size, qos)
            for i, (size, qos) in enumerate(
                (s, q) for s in (0, 1, 126, 127, 3000, MAX_PACKET_SIZE - 100) for q in (0, 1))]
    for topic, payload, qos in sent:
        pub.publish(topic, payload, qos=qos).wait_for_publish(10)
    pub.publish(TOPIC + "props", b"with properties", qos=1,
                properties=props).wait_for_publish(10)
    wait_for(lambda: len(sink.got) == len(sent) + 1, what="all messages")
    by_topic = {m.topic: m for m in sink.got}
    for topic, payload, qos in sent:
        assert by_topic[topic].payload == payload
        assert by_topic[topic].qos == qos
        assert not by_topic[topic].retain
    with_props = by_topic[TOPIC + "props"]
    assert with_props.payload == b"with properties"
    assert with_props.properties is not None
    assert with_props.properties.UserProperty == [("k", "v")]
    for c in (pub, sub):
        c.disconnect()
        c.loop_stop()


def test_a_packet_over_our_maximum_is_refused_before_it_is_buffered(broker: Mosquitto) -> None:
    """We tell the broker our maximum packet size; one larger is a protocol error,
    found from its first bytes, not after buffering the rest of it."""
    c = _client(broker, FastClient)
    assert isinstance(c, FastClient)
    head = bytes([0x30]) + _remaining_length(MAX_RECEIVE_PACKET + 1)
    c._rbuf, c._rpos = head + b"x" * 10, 0
    with pytest.raises(ValueError, match="exceeds our maximum"):
        c._next_packet()
    c._rbuf, c._rpos = bytes([0x30]) + _remaining_length(MAX_RECEIVE_PACKET - 3) + b"x", 0
    assert c._next_packet() is None  # within the limit: waits for the rest
    release(c)


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (128 if n else 0))
        if not n:
            return bytes(out)


@pytest.mark.parametrize("size", [MAX_PACKET_SIZE + 1, 96 * 1024 * 1024])
def test_the_broker_drops_whoever_sends_a_packet_over_its_limit(broker: Mosquitto,
                                                                 size: int) -> None:
    """A packet over max_packet_size costs its sender the connection and reaches
    no one (MQTT 3.1.1, as nodes speak: the client has not been told the limit)."""
    sink = Sink()
    sub = _subscriber(broker, sink)
    pub = _client(broker, protocol=mqtt.MQTTv311)
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    pub.publish(TOPIC + "ok", b"fits", qos=1).wait_for_publish(10)
    wait_for(lambda: any(m.topic == TOPIC + "ok" for m in sink.got), what="the small one")
    dropped = threading.Event()
    pub.on_disconnect = lambda *_a: dropped.set()
    pub.reconnect_delay_set(60, 60)
    pub.publish(TOPIC + "huge", b"x" * size, qos=1)
    assert dropped.wait(20), "the broker kept a client that sent an oversize packet"
    time.sleep(0.3)
    assert [m.topic for m in sink.got] == [TOPIC + "ok"]
    for c in (pub, sub):
        c.disconnect()
        c.loop_stop()


def _barrier(client: mqtt.Client) -> None:
    """Return once the broker has handled everything `client` sent before this.

    Mosquitto handles a connection's packets in order, so the PUBACK of this
    publish means the earlier acks were applied. Without it, reconnecting with
    the same client id can take the session over before the broker has read
    the old connection's last packets, and it drops them (a lost ack: harmless,
    but not what these tests check).
    """
    client.publish("hubsense/v1/hbg-works/collector/barrier", b"", qos=1).wait_for_publish(10)


def _come_back(broker: Mosquitto, sub: FastClient, login: tuple[str, str],
               n: int) -> list[int]:
    """Leave once the acks are applied, return to the session: the messages it still holds."""
    _barrier(sub)
    sub.disconnect()
    sub.loop_stop()
    again = Sink()
    sub = _subscriber(broker, again, login, session=True, manual_ack=True)
    wait_for(lambda: len(again.got) >= n, what=f"the unacknowledged {n}")
    assert all(m.dup for m in again.got if not m.retain)
    sub.ack_many((m.mid for m in again.got), sub.connection)
    sub.disconnect()
    sub.loop_stop()
    return sorted(int(m.topic.rsplit("/", 1)[1]) for m in again.got if not m.retain)


def test_retained_flag_and_batched_acks(broker: Mosquitto) -> None:
    pub = _client(broker)
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    pub.publish(TOPIC + "r", b"kept", qos=1, retain=True).wait_for_publish(10)
    sink = Sink()
    login = broker.users.take_admin()
    sub = _subscriber(broker, sink, login, session=True, manual_ack=True)
    wait_for(lambda: sink.got, what="retained message")
    assert sink.got[0].retain and sink.got[0].payload == b"kept"
    for i in range(500):
        pub.publish(f"{TOPIC}{i}", b"x", qos=1)
    wait_for(lambda: len(sink.got) == 501, what="500 messages")
    # Acknowledge the first 301 in one write, then leave: the broker keeps the other 200.
    sub.ack_many((m.mid for m in sink.got[:301]), sub.connection)
    assert _come_back(broker, sub, login, 200) == list(range(300, 500))
    pub.disconnect()
    pub.loop_stop()


def test_acks_for_an_earlier_connection_are_never_sent(broker: Mosquitto) -> None:
    """The broker redelivers with the same ids; an old ack must not reach the new connection."""
    pub = _client(broker)
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    sink = Sink()
    login = broker.users.take_admin()
    sub = _subscriber(broker, sink, login, session=True, manual_ack=True)
    for i in range(100):
        pub.publish(f"{TOPIC}{i}", b"x", qos=1)
    wait_for(lambda: len(sink.got) == 100, what="100 messages")
    first = sub.connection
    with sink.lock:
        old = list(sink.got)
        sink.got.clear()
    # Drop the connection under paho; it reconnects and the broker redelivers all 100.
    sock = sub.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)
    wait_for(lambda: sub.connection > first and len(sink.got) == 100, what="redelivery")
    assert sorted(m.mid for m in sink.got) == sorted(m.mid for m in old)  # same ids
    sub.ack_many((m.mid for m in old), first)  # stale: must be dropped
    sub.ack_many((m.mid for m in sink.got[:10]), sub.connection)
    assert _come_back(broker, sub, login, 90) == list(range(10, 100))
    pub.disconnect()
    pub.loop_stop()


def test_topic_filters_route_like_paho_and_read_done_follows(broker: Mosquitto) -> None:
    """message_callback_add() wins over on_message, also once a topic's match is remembered."""
    rest, filtered = Sink(), Sink()
    sub = _subscriber(broker, rest)
    reads = threading.Event()
    sub.on_read_done = reads.set
    pub = _client(broker)
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    pub.publish(TOPIC + "a", b"1", qos=1).wait_for_publish(10)
    wait_for(lambda: len(rest.got) == 1, what="first message")
    assert reads.wait(10), "on_read_done follows the messages it read"
    sub.message_callback_add(TOPIC + "a", filtered)  # the same topic, now filtered
    pub.publish(TOPIC + "a", b"2", qos=1).wait_for_publish(10)
    pub.publish(TOPIC + "b", b"3", qos=1).wait_for_publish(10)
    wait_for(lambda: len(filtered.got) == 1 and len(rest.got) == 2, what="routing")
    assert filtered.got[0].payload == b"2" and rest.got[1].payload == b"3"
    sub.message_callback_remove(TOPIC + "a")
    pub.publish(TOPIC + "a", b"4", qos=1).wait_for_publish(10)
    wait_for(lambda: len(rest.got) == 3, what="back to on_message")
    for c in (pub, sub):
        c.disconnect()
        c.loop_stop()
