"""A small MQTT 3.1.1 client that never blocks: QoS 1 out, last will, keepalive, reconnect.

Every transport failure (OSError), refusal or protocol break (ValueError: an
exception class of its own would cost heap) ends the session and funnels into
one reconnect path with exponential backoff and jitter. Outgoing messages wait
in a `Ring`; the head leaves the ring only after its PUBACK, so messages
arrive in order and an unacknowledged one is sent again (with DUP) after a
reconnect.

The socket is polled (non-blocking, every few ms while waiting) instead of
wrapped in asyncio streams, events and timeouts: a node only ever receives
CONNACK, PUBACK and PINGRESP, and this keeps asyncio's optional modules and
a reader task out of a 32 KB heap.
"""

import asyncio
import select
import socket
from errno import EINPROGRESS
from random import getrandbits
from time import ticks_diff, ticks_ms

from micropython import const

_CONNECT = const(0x10)
_CONNACK = const(0x20)
_PUBLISH_QOS1 = const(0x32)
_PUBACK = const(0x40)
_PINGRESP = const(0xD0)
_PINGREQ = b"\xc0\x00"
_CONNACKED = const(0)  # `_acked` value for CONNACK; packet ids start at 1
_POLL_MS = const(1)  # how often a session waiting for the broker looks again
_IDLE_MS = const(50)  # how often an idle session looks for work
_TIMEOUT_MS = const(5000)  # the longest a connect, send or ack may take


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
    var = b"\x00\x04MQTT\x04\xee" + bytes((keepalive_s >> 8, keepalive_s & 0xFF))
    body = var + _str(client_id) + _str(will_topic) + _str(will) + _str(user) + _str(password)
    return bytes((_CONNECT,)) + _length(len(body)) + body


def publish_packet(topic, payload, retain, pid, dup):
    head = _PUBLISH_QOS1 | (1 if retain else 0) | (8 if dup else 0)
    t = _str(topic)
    return (bytes((head,)) + _length(len(t) + 2 + len(payload)) + t
            + bytes((pid >> 8, pid & 0xFF)) + payload)


class Client:
    """Keeps one broker session alive and drains `queue` into it, in order."""

    def __init__(self, host, port, client_id, password, status_topic, queue,
                 keepalive_s=30, backoff_ms=(500, 30000), link=None):
        self._addr = (host, port)
        self._connect = connect_packet(client_id, client_id, password, status_topic,
                                       b"offline", keepalive_s)
        self._status = status_topic
        self._queue = queue
        self._keepalive_ms = keepalive_s * 1000
        self._backoff = backoff_ms
        self._delay = backoff_ms[0]
        self._link = link
        self._sock = None
        # Every packet a node receives is 2 or 4 bytes long. Views made once:
        # reading allocates nothing. (17 attributes at most: one more doubles
        # the instance's table.)
        mv = memoryview(bytearray(4))
        self._rx_at = (mv, mv[1:], mv[2:], mv[3:])
        self._have = 0
        self._pid = 0
        self._acked = -1
        self._inflight = None  # sent, not acknowledged when the session died: resend as DUP
        self._last_rx = ticks_ms()
        self._last_tx = ticks_ms()
        self.connected = False

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
            half = self._delay // 2
            await asyncio.sleep_ms(half + (getrandbits(16) * half >> 16))
            self._delay = min(self._delay * 2, self._backoff[1])

    async def _session(self):
        if self._link is not None:
            await self._link.up()
        self._acked = -1
        self._have = 0
        sock = self._sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.connect(socket.getaddrinfo(self._addr[0], self._addr[1])[0][-1])
        except OSError as exc:
            if exc.errno != EINPROGRESS:
                raise
        p = select.poll()
        p.register(sock, select.POLLOUT)
        start = ticks_ms()
        while not p.poll(0):
            await self._wait(start, "connect", _POLL_MS)
        self._last_rx = ticks_ms()
        await self._send(self._connect)
        await self._wait_ack(_CONNACKED)
        self.connected = True
        self._delay = self._backoff[0]
        print("mqtt: connected to %s:%d" % self._addr)
        await self._publish(self._status, b"online", True, False)
        await self._drain()

    async def _drain(self):
        q = self._queue
        while True:
            item = q.peek()
            if item is not None:
                dup = item is self._inflight
                self._inflight = item
                await self._publish(item[0], item[1], item[2], dup)
                self._inflight = None
                q.pop(item)
                continue
            now = ticks_ms()
            if ticks_diff(now, self._last_rx) > self._keepalive_ms * 3 // 2:
                raise OSError("keepalive: nothing heard from the broker")
            if ticks_diff(now, self._last_tx) >= self._keepalive_ms // 2:
                await self._send(_PINGREQ)
            await self._wait(None, "idle", _IDLE_MS)

    async def _publish(self, topic, payload, retain, dup):
        self._pid = self._pid % 65535 + 1
        await self._send(publish_packet(topic, payload, retain, self._pid, dup))
        await self._wait_ack(self._pid)

    async def _wait_ack(self, pid):
        start = ticks_ms()
        self._receive()  # on a fast link the ack is often there already
        while self._acked != pid:
            await self._wait(start, "ack", _POLL_MS)

    async def _wait(self, start, what, ms):
        """Sleep `ms`, then take in what arrived; fail on a lost link or (unless `start`
        is None) when `what` has taken longer than the timeout."""
        await asyncio.sleep_ms(ms)
        if self._link is not None and not self._link.is_up():
            raise OSError("network link down")
        self._receive()
        if start is not None and ticks_diff(ticks_ms(), start) > _TIMEOUT_MS:
            raise OSError("timeout: " + what)

    def _receive(self):
        """Read whatever whole packets the broker has sent."""
        rx = self._rx_at[0]
        sock = self._socket()
        while True:
            need = 2 if self._have < 2 else 2 + rx[1]
            got = sock.readinto(self._rx_at[self._have], need - self._have)
            if got is None:
                return  # nothing more for now
            if not got:
                raise OSError("connection closed by the broker")
            self._have += got
            if self._have == 2 and rx[1]:
                if rx[1] != 2:
                    raise ValueError("unexpected packet 0x%02x" % rx[0])
                continue
            if self._have < need:
                continue
            self._have = 0
            self._last_rx = ticks_ms()
            typ = rx[0]
            if typ == _PUBACK:
                self._acked = rx[2] << 8 | rx[3]
            elif typ == _CONNACK:
                if rx[3]:
                    raise ValueError("connection refused, return code %d" % rx[3])
                self._acked = _CONNACKED
            elif typ != _PINGRESP:
                raise ValueError("unexpected packet 0x%02x" % typ)

    async def _send(self, data):
        start = ticks_ms()
        sent = self._socket().write(data) or 0
        while sent < len(data):
            await self._wait(start, "send", _POLL_MS)
            sent += self._socket().write(memoryview(data)[sent:]) or 0
        self._last_tx = ticks_ms()

    def _socket(self):
        if self._sock is None:
            raise OSError("not connected")
        return self._sock

    def _close(self):
        self.connected = False
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:  # already broken; nothing left to release
                pass
            self._sock = None
