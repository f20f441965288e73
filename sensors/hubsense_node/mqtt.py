"""A small MQTT 3.1.1 client that never blocks: QoS 1 out, last will, keepalive, reconnect.

Every transport failure ends the session and funnels into one reconnect path
with exponential backoff and jitter. Outgoing messages wait in a `Ring`; the
head leaves the ring only after its PUBACK, so messages arrive in order and
an unacknowledged one is sent again (with DUP) after a reconnect.
"""

import asyncio
from random import getrandbits
from time import ticks_diff, ticks_ms

from micropython import const

_CONNECT = const(0x10)
_CONNACK = const(0x20)
_PUBLISH_QOS1 = const(0x32)
_PUBACK = const(0x40)
_PINGREQ = b"\xc0\x00"
_PINGRESP = const(0xD0)
_DUP = const(0x08)
_IDLE_MS = const(1000)


class MQTTError(Exception):
    """The broker refused us or broke the protocol."""


def _str(s):
    b = s.encode() if isinstance(s, str) else s
    return bytes((len(b) >> 8, len(b) & 0xFF)) + b


def _length(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def connect_packet(client_id, user, password, will_topic, will, keepalive_s):
    """CONNECT with clean session and a retained QoS 1 last will."""
    # flags: username, password, will retain, will QoS 1, will, clean session
    flags = 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02
    var = b"\x00\x04MQTT\x04" + bytes((flags, keepalive_s >> 8, keepalive_s & 0xFF))
    body = var + _str(client_id) + _str(will_topic) + _str(will) + _str(user) + _str(password)
    return bytes((_CONNECT,)) + _length(len(body)) + body


def publish_packet(topic, payload, retain, pid, dup):
    head = _PUBLISH_QOS1 | (1 if retain else 0) | (_DUP if dup else 0)
    t = _str(topic)
    return (bytes((head,)) + _length(len(t) + 2 + len(payload)) + t
            + bytes((pid >> 8, pid & 0xFF)) + payload)


class Client:
    """Keeps one broker session alive and drains `queue` into it, in order."""

    def __init__(self, host, port, client_id, password, status_topic, queue,
                 keepalive_s=30, backoff_ms=(500, 30000), timeout_ms=5000, link=None):
        self._addr = (host, port)
        self._connect = connect_packet(client_id, client_id, password, status_topic,
                                       b"offline", keepalive_s)
        self._status = status_topic
        self._queue = queue
        self._keepalive_ms = keepalive_s * 1000
        self._backoff = backoff_ms
        self._delay = backoff_ms[0]
        self._timeout = timeout_ms
        self._link = link
        self._stream = None
        self._pid = 0
        self._wait_pid = 0
        self._acked = asyncio.Event()
        self._dead = None
        self._last_rx = 0
        self._last_tx = 0
        # The message sent but not acknowledged when a session died; its resend is a DUP.
        self._inflight = None
        self.connected = False
        self.sessions = 0

    async def run(self):
        """Connect, serve, and reconnect forever."""
        while True:
            try:
                await self._session()
            except Exception as exc:  # any failure means: reconnect
                print("mqtt: connection lost:", repr(exc))
            self._close()
            # Full jitter keeps a fleet that lost the broker together from
            # reconnecting in lockstep.
            await asyncio.sleep_ms(self._delay // 2 + _jitter(self._delay // 2))
            self._delay = min(self._delay * 2, self._backoff[1])

    async def _session(self):
        if self._link is not None:
            await self._link.up()
        self._dead = None
        r, _ = await asyncio.wait_for_ms(asyncio.open_connection(*self._addr), self._timeout)
        self._stream = r
        await self._send(self._connect)
        typ, body = await asyncio.wait_for_ms(self._read_packet(), self._timeout)
        if typ != _CONNACK or len(body) != 2:
            raise MQTTError("expected CONNACK, got 0x%02x" % typ)
        if body[1]:
            raise MQTTError("connection refused, return code %d" % body[1])
        self.connected = True
        self.sessions += 1
        self._delay = self._backoff[0]
        print("mqtt: connected to %s:%d" % self._addr)
        reader = asyncio.create_task(self._read_loop())
        try:
            await self._publish(self._status, b"online", True)
            await self._drain()
        finally:
            self.connected = False
            reader.cancel()

    async def _drain(self):
        q = self._queue
        while True:
            self._check()
            item = q.peek()
            if item is None:
                q.event.clear()
                try:
                    # Wake at least every second to notice a lost link early.
                    await asyncio.wait_for_ms(q.event.wait(), _IDLE_MS)
                except asyncio.TimeoutError:
                    pass
                await self._keep_alive()
                continue
            dup = item is self._inflight
            self._inflight = item
            await self._publish(item[0], item[1], item[2], dup)
            self._inflight = None
            q.pop(item)

    async def _keep_alive(self):
        now = ticks_ms()
        if ticks_diff(now, self._last_rx) > self._keepalive_ms * 3 // 2:
            raise OSError("keepalive: nothing heard from the broker")
        if ticks_diff(now, self._last_tx) >= self._keepalive_ms // 2:
            await self._send(_PINGREQ)

    async def _publish(self, topic, payload, retain, dup=False):
        self._pid = self._pid % 65535 + 1
        self._wait_pid = self._pid
        self._acked.clear()
        await self._send(publish_packet(topic, payload, retain, self._pid, dup))
        try:
            await asyncio.wait_for_ms(self._acked.wait(), self._timeout)
        except asyncio.TimeoutError:
            raise OSError("no PUBACK for packet %d" % self._pid) from None
        self._check()

    def _check(self):
        if self._dead is not None:
            raise self._dead
        if self._link is not None and not self._link.is_up():
            raise OSError("network link down")

    async def _send(self, data):
        self._stream.write(data)
        await self._stream.drain()
        self._last_tx = ticks_ms()

    async def _read_packet(self):
        s = self._stream
        typ = (await s.readexactly(1))[0]
        n = 0
        shift = 0
        while True:
            b = (await s.readexactly(1))[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
        body = await s.readexactly(n) if n else b""
        self._last_rx = ticks_ms()
        return typ, body

    async def _read_loop(self):
        try:
            while True:
                typ, body = await self._read_packet()
                if typ == _PUBACK and len(body) == 2:
                    if (body[0] << 8 | body[1]) == self._wait_pid:
                        self._acked.set()
                elif typ != _PINGRESP:
                    raise MQTTError("unexpected packet 0x%02x" % typ)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # hand the failure to the session
            self._dead = exc if isinstance(exc, (OSError, MQTTError)) else OSError(repr(exc))
            self._acked.set()
            self._queue.event.set()

    def _close(self):
        self.connected = False
        if self._stream is not None:
            try:
                self._stream.close()
            except OSError:  # already broken; nothing left to release
                pass
            self._stream = None


def _jitter(span):
    return getrandbits(16) * span >> 16 if span > 0 else 0
