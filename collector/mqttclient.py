"""paho's client with a receive path fast enough to drain a broker's backlog.

Measured (bench/collector_throughput.py, py-spy): a stock paho 2.2 subscriber
caps at about 9-11k QoS 1 messages/s on our 2-core machine while Mosquitto
hands the same backlog to its own C client at 60-100k/s. The time goes to
paho's receive loop: one select() per packet, three recv() calls per packet
(type byte, length bytes, body), an MQTT 5 Properties object built per message
even when the message has none, and one send() per PUBACK. This subclass reads
in large chunks, handles every complete packet in the buffer per wake-up,
decodes property-less PUBLISH packets directly, and lets the caller send many
PUBACKs in one write (only ever on the connection the messages came on).
Every other packet, and any PUBLISH with properties or QoS 2, goes through
paho's own handlers unchanged.

It overrides private methods of paho, so paho is pinned (pyproject.toml) and
tests/collector/test_mqttclient.py checks it against a real Mosquitto.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.client import MQTTMessage
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.exception import MalformedPacket

from hubsense.mqttlink import MAX_RECEIVE_PACKET, Client, connect_properties
from hubsense.settings import MqttSettings

_PUBLISH = 0x30
_PUBACK = 0x40
_READ_SIZE = 256 * 1024
_PUBACK_PACK = struct.Struct("!BBH").pack
_MAX_MATCHES = 10_000  # distinct topics remembered; a flood of new ones only empties it


# How long the broker keeps a collector's session (and queues for it) while away.
SESSION_EXPIRY_S = 24 * 3600


def connect_persistent(client: mqtt.Client, m: MqttSettings) -> None:
    """Connect in the background to the session kept under this login, and loop."""
    client.connect_async(m.host, m.port, keepalive=m.keepalive_s, clean_start=False,
                         properties=connect_properties(SESSION_EXPIRY_S))
    client.loop_start()




class FastClient(Client):
    """A paho Client that receives in bulk and acknowledges in batches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rbuf = b""
        self._rpos = 0
        self._rsock: object = None
        self._conn_lock = threading.Lock()
        self.connection = 0  # which connection this is; read it in on_message
        # topic -> the message_callback_add() callbacks it matches (paho matches per message)
        self._matches: dict[bytes, tuple[mqtt.CallbackOnMessage, ...]] = {}
        # Called each time the received bytes are all handled: a caller that
        # gathers messages hands them on here, so nothing waits for a timer.
        self.on_read_done: Callable[[], None] | None = None

    def message_callback_add(self, sub: str, callback: mqtt.CallbackOnMessage) -> None:
        super().message_callback_add(sub, callback)
        self._matches = {}  # a new dict: a match computed before this lands in the old one

    def message_callback_remove(self, sub: str) -> None:
        super().message_callback_remove(sub)
        self._matches = {}

    def ack_many(self, mids: Iterable[int], connection: int) -> None:
        """Queue QoS 1 PUBACKs for `mids` (in order) as one write; needs manual_ack.

        `connection` is `self.connection` when the messages arrived. Once that
        connection is gone the acks are dropped: the broker redelivers those
        messages, and a message id from an old connection may name another
        message on the new one, so sending it there could ack an unwritten one.
        """
        packet = b"".join(_PUBACK_PACK(_PUBACK, 2, mid) for mid in mids)
        with self._conn_lock:  # reconnect() cannot start between the check and the queue
            if packet and connection == self.connection:
                self._packet_queue(_PUBACK, packet, 0, 0)

    def reconnect(self) -> MQTTErrorCode:
        # Every (re)connect passes here; paho empties its outgoing queue after this,
        # so an ack queued for the old connection is discarded, never sent on the new.
        with self._conn_lock:
            self.connection += 1
        return super().reconnect()

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Handle every packet that has arrived, not just one per select()."""
        try:
            while True:
                if self._sock is None:
                    return MQTTErrorCode.MQTT_ERR_NO_CONN
                rc = self._packet_read()
                if rc > 0:
                    return self._loop_rc_handle(rc)
                if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                    return MQTTErrorCode.MQTT_ERR_SUCCESS
        finally:
            if self.on_read_done is not None:
                self.on_read_done()

    def _packet_read(self) -> MQTTErrorCode:
        if self._sock is not self._rsock:  # a new connection starts with an empty buffer
            self._rbuf, self._rpos, self._rsock = b"", 0, self._sock
        while True:
            try:
                got = self._next_packet()
            except ValueError as exc:
                self._easy_log(mqtt.MQTT_LOG_ERR, "malformed packet from the broker: %s", exc)
                return MQTTErrorCode.MQTT_ERR_PROTOCOL
            if got is not None:
                return self._handle(*got)
            try:
                data = self._sock_recv(_READ_SIZE)
            except BlockingIOError:
                return MQTTErrorCode.MQTT_ERR_AGAIN
            except OSError as err:
                self._easy_log(mqtt.MQTT_LOG_ERR, "failed to receive on socket: %s", err)
                return MQTTErrorCode.MQTT_ERR_CONN_LOST
            if not data:
                return MQTTErrorCode.MQTT_ERR_CONN_LOST
            self._rbuf = self._rbuf[self._rpos:] + data
            self._rpos = 0
            with self._msgtime_mutex:
                self._last_bytes_received = mqtt.time_func()

    def _next_packet(self) -> tuple[int, bytes] | None:
        """Take one complete packet (command byte, body) off the buffer, if there is one."""
        buf, pos, end = self._rbuf, self._rpos, len(self._rbuf)
        if end - pos < 2:
            return None
        length, mult, i = 0, 1, pos + 1
        while True:
            if i >= end:
                return None
            byte = buf[i]
            length += (byte & 127) * mult
            i += 1
            if not byte & 128:
                break
            mult *= 128
            if i - pos > 4:
                raise ValueError("remaining length longer than 4 bytes")
        if length > MAX_RECEIVE_PACKET:
            # We told the broker our maximum in CONNECT; a larger packet is a protocol
            # error, dropped with the connection before a byte more of it is buffered.
            raise ValueError(f"a {length}-byte packet exceeds our maximum of "
                             f"{MAX_RECEIVE_PACKET}")
        if end - i < length:
            return None
        self._rpos = i + length
        return buf[pos], buf[i:i + length]

    def _handle(self, command: int, body: bytes) -> MQTTErrorCode:
        if command & 0xF0 == _PUBLISH and self._fast_publish(command, body):
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        self._in_packet = {"command": command, "have_remaining": 1, "remaining_count": [],
                           "remaining_mult": 1, "remaining_length": len(body),
                           "packet": bytearray(body), "to_process": 0, "pos": 0}
        try:
            rc = self._packet_handle()
        except MalformedPacket as exc:
            self._easy_log(mqtt.MQTT_LOG_DEBUG, "Received malformed packet: %s", exc)
            rc = MQTTErrorCode.MQTT_ERR_PROTOCOL
        self._in_packet = {"command": 0, "have_remaining": 0, "remaining_count": [],
                           "remaining_mult": 1, "remaining_length": 0,
                           "packet": bytearray(b""), "to_process": 0, "pos": 0}
        return rc

    def _fast_publish(self, command: int, body: bytes) -> bool:
        """Deliver a QoS 0/1 PUBLISH without properties; False leaves it to paho."""
        qos = (command >> 1) & 3
        if qos == 2 or len(body) < 2:
            return False
        i = 2 + ((body[0] << 8) | body[1])
        if i + (2 if qos else 0) > len(body):
            return False  # malformed: paho's decoder says so
        topic = body[2:i]
        mid = 0
        if qos:
            mid = (body[i] << 8) | body[i + 1]
            i += 2
        if self._protocol == mqtt.MQTTv5:
            if i >= len(body) or body[i] != 0:  # properties present (or malformed)
                return False
            i += 1
        msg = _Received(mid, topic, qos, command, body[i:])
        self._deliver(msg)
        if qos and not self._manual_ack:
            self._send_puback(mid)
        return True

    def _deliver(self, msg: _Received) -> None:
        """paho's _handle_on_message, with the topic match done once per topic."""
        cache = self._matches
        callbacks = cache.get(msg._topic)
        if callbacks is None:
            try:
                topic = msg.topic
            except UnicodeDecodeError:
                callbacks = ()  # paho matches no filter then either
            else:
                with self._callback_mutex:
                    callbacks = tuple(self._on_message_filtered.iter_match(topic))  # type: ignore[no-untyped-call]
            if len(cache) >= _MAX_MATCHES:
                cache.clear()
            cache[msg._topic] = callbacks
        for callback in callbacks or (self._on_message,):
            if callback is None:
                return
            with self._in_callback_mutex:
                try:
                    callback(self, self._userdata, msg)
                except Exception as err:
                    self._easy_log(mqtt.MQTT_LOG_ERR, "Caught exception in on_message: %s", err)
                    if not self.suppress_exceptions:
                        raise


# A received message's `info` is meaningless (it tracks our own publishes); paho
# builds one, with a Condition, per message. Ours share this one.
_NO_INFO = mqtt.MQTTMessageInfo(0)


class _Received(MQTTMessage):
    """An MQTTMessage built without paho's per-message MQTTMessageInfo."""

    __slots__ = ()

    def __init__(self, mid: int, topic: bytes, qos: int, command: int, payload: bytes) -> None:
        self.timestamp = mqtt.time_func()
        self.state = mqtt.mqtt_ms_invalid
        self.mid = mid
        self._topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = bool(command & 1)
        self.dup = bool(command & 8)
        self.info = _NO_INFO
        self.properties = None
