"""A small MQTT 3.1.1 client that never blocks: QoS 1 out, last will, keepalive, reconnect,
over TLS that checks the broker's certificate (or plain MQTT, for loopback demos).

Every transport failure (OSError), refusal or protocol break (ValueError: an
exception class of its own would cost heap) ends the session and funnels into
one reconnect path with exponential backoff and jitter. Outgoing messages wait
in a `Ring`; the head is copied into a send buffer made at boot and leaves
the ring only after its PUBACK, so messages arrive in order, an
unacknowledged one is sent again (with DUP) after a reconnect, and
publishing allocates no packets.

The socket is polled (non-blocking, every few ms while waiting) instead of
wrapped in asyncio streams, events and timeouts: a node receives CONNACK,
PUBACK and PINGRESP (and, on a node that takes updates, what its inbox
reads: inbox.py); this keeps asyncio's optional modules and a reader task
out of a 32 KB heap. TLS fits the same polling: the socket is
wrapped without a handshake, which then runs inside the first writes and
reads (each returns None until it is done), so the CONNECT's timeout covers it.
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
_CONNACKED = const(0)  # `acked` value for CONNACK; packet ids start at 1
_POLL_MS = const(1)  # how often a session waiting for the broker looks again
_IDLE_MS = const(50)  # how often an idle session looks for work
_TIMEOUT_MS = const(5000)  # the longest a connect, send or ack may take
# The largest PUBLISH: a contract topic (at most 124 bytes), a heartbeat
# payload (at most about 160) and 7 bytes of framing.
_TX_BYTES = const(320)


def connect_packet(client_id, password, will_topic, keepalive_s):
    """CONNECT with clean session, the client id as user name and a retained QoS 1
    last will `offline` on `will_topic`."""
    # flags: username, password, will retain, will QoS 1, will, clean session
    body = bytearray(b"\x00\x04MQTT\x04\xee")
    body += bytes((keepalive_s >> 8, keepalive_s & 0xFF))
    for f in (client_id, will_topic, "offline", client_id, password):
        f = f.encode() if isinstance(f, str) else f
        body += bytes((len(f) >> 8, len(f) & 0xFF))
        body += f
    n = len(body)  # < 16384: two bytes of remaining length at most
    return bytes((_CONNECT, n & 0x7F | 0x80, n >> 7) if n > 0x7F else (_CONNECT, n)) + body


async def dial(sock, addr, wait):
    """Connect `sock` to (host, port) without blocking; await `wait(start)` meanwhile
    (it raises to give up). The update's HTTP client dials the same way."""
    sock.setblocking(False)
    try:
        sock.connect(socket.getaddrinfo(addr[0], addr[1])[0][-1])
    except OSError as exc:
        if exc.errno != EINPROGRESS:
            raise
    p = select.poll()
    p.register(sock, select.POLLOUT)
    start = ticks_ms()
    while not p.poll(0):
        await wait(start)


def publish_into(buf, topic, payload, retain, pid, dup):
    """Write a QoS 1 PUBLISH into `buf` (no allocation); return its length."""
    t = len(topic)
    n = t + 4 + len(payload)
    buf[0] = _PUBLISH_QOS1 | (1 if retain else 0) | (8 if dup else 0)
    i = 1
    while True:
        buf[i] = n & 0x7F | (0x80 if n > 0x7F else 0)
        i += 1
        n >>= 7
        if not n:
            break
    buf[i] = t >> 8
    buf[i + 1] = t & 0xFF
    i += 2
    buf[i:i + t] = topic
    i += t
    buf[i] = pid >> 8
    buf[i + 1] = pid & 0xFF
    i += 2
    buf[i:i + len(payload)] = payload
    return i + len(payload)


class Client:
    """Keeps one broker session alive and drains `queue` into it, in order."""

    def __init__(self, host, port, client_id, password, status_topic, queue,
                 keepalive_s=30, backoff_ms=(500, 30000), link=None, tls=None, sub=None):
        """`tls`: None for plain MQTT, or (context, server name, clock): the broker's
        certificate must chain to the context's CA (CERT_REQUIRED) and carry the
        server name, and the client connects once `clock.synced`. `sub`: an Inbox
        (inbox.py) that subscribes each session, reads what that brings, and may
        change the login the broker refuses (a password being rotated)."""
        # The largest buffer first, while the room the wiring left is whole.
        self._tx = memoryview(bytearray(_TX_BYTES))
        self._addr = (host, port)
        self._connect = connect_packet(client_id, password, status_topic, keepalive_s)
        self._status = status_topic
        self._queue = queue
        self._ms = (keepalive_s * 1000, backoff_ms[0], backoff_ms[1])  # keepalive, backoff
        self._delay = backoff_ms[0]
        self._link = link
        self._tls = tls
        self._sock = None
        # Every packet a node receives is 2 or 4 bytes long. Views made once:
        # reading allocates nothing. (17 attributes at most: one more grows
        # the instance's table by a third.)
        mv = memoryview(bytearray(4))
        self._rx_at = (mv, mv[1:], mv[2:], mv[3:], sub)
        self._have = 0
        self._pid = 0
        # -1 until CONNACK, then the last acknowledged packet id: the boot loader
        # keeps a trial firmware once this is 0 or more and the queue is empty.
        self.acked = -1
        self._inflight = -1  # the record sent, not acknowledged when the session died: DUP
        self._last_rx = ticks_ms()
        self._last_tx = ticks_ms()

    async def run(self):
        """Connect, serve, and reconnect forever."""
        while True:
            try:
                await self._session()
            except Exception as exc:  # any failure means: reconnect
                print("mqtt: connection lost:", repr(exc))
            self.acked = -1
            try:
                self._sock.close()  # type: ignore[union-attr]
            except Exception:  # none, or already broken: nothing left to release
                pass
            self._sock = None
            # Full jitter keeps a fleet that lost the broker together from
            # reconnecting in lockstep.
            half = self._delay // 2
            await asyncio.sleep_ms(half + (getrandbits(16) * half >> 16))
            self._delay = min(self._delay * 2, self._ms[2])

    async def _session(self):
        link, tls = self._link, self._tls
        if link is not None:
            await link.up()
        if tls is not None:
            # mbedTLS checks the certificate's dates, and a board's clock reads
            # 2000-01-01 until NTP sets it: a handshake before that would fail.
            while not tls[2].synced:
                await asyncio.sleep_ms(_IDLE_MS)
                if link is not None and not link.is_up():
                    raise OSError("network link down")
        self._have = 0
        sock = self._sock = socket.socket()
        await dial(sock, self._addr, lambda start: self._wait(start, "connect", _POLL_MS))
        if tls is not None:
            self._sock = tls[0].wrap_socket(sock, server_hostname=tls[1],
                                            do_handshake_on_connect=False)
        self._last_rx = ticks_ms()
        await self._send(self._connect, _CONNACKED)
        self._delay = self._ms[1]
        print("mqtt: connected to %s:%d" % self._addr)
        await self._publish(self._status, b"online", True, False)
        if self._rx_at[4] is not None and self._rx_at[4].packet:
            await self._send(self._rx_at[4].packet)
        await self._drain()

    async def _drain(self):
        q = self._queue
        while True:
            rec = q.peek()
            if rec is not None:
                first = q.first
                if 7 + len(rec[0]) + len(rec[1]) > _TX_BYTES:
                    print("mqtt: message too long, dropped")
                    q.pop(first)
                    q.drops += 1
                    continue
                dup = first == self._inflight
                self._inflight = first
                # Copied before the first await: the ring may drop the record meanwhile.
                await self._publish(rec[0], rec[1], False, dup)
                self._inflight = -1
                q.pop(first)
                continue
            now = ticks_ms()
            if ticks_diff(now, self._last_rx) > self._ms[0] * 3 // 2:
                raise OSError("keepalive: nothing heard from the broker")
            if ticks_diff(now, self._last_tx) >= self._ms[0] // 2:
                await self._send(_PINGREQ)
            await self._wait(None, "idle", _IDLE_MS)

    def _publish(self, topic, payload, retain, dup):
        """Write a PUBLISH into the send buffer now; return what sends it, to await.

        Not a coroutine itself: one generator per message (_send's), not two."""
        self._pid = self._pid % 65535 + 1
        n = publish_into(self._tx, topic, payload, retain, self._pid, dup)
        return self._send(self._tx[:n], self._pid)

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
        rx, sock = self._rx_at[0], self._sock
        while True:
            if self._have < 0:  # a longer packet, which the inbox reads
                if not self._rx_at[4].read(sock, rx):
                    return
                self._have = 0
                continue
            need = 2 if self._have < 2 else 2 + rx[1]
            got = sock.readinto(self._rx_at[self._have], need - self._have)  # type: ignore[union-attr]
            if got is None:
                return  # nothing more for now
            if not got:
                raise OSError("connection closed by the broker")
            self._have += got
            if self._have == 2 and rx[1]:
                if rx[1] != 2 or rx[0] & 0xF0 == 0x30:  # not 4 bytes long, or a PUBLISH
                    if self._rx_at[4] is None:
                        raise ValueError("unexpected packet 0x%02x" % rx[0])
                    self._have = -1
                continue
            if self._have < need:
                continue
            self._have = 0
            self._last_rx = ticks_ms()
            typ = rx[0]
            if typ == _PUBACK:
                self.acked = rx[2] << 8 | rx[3]
            elif typ == _CONNACK:
                if rx[3]:
                    if self._rx_at[4] is not None:
                        self._rx_at[4].refused(self, rx[3])
                    raise ValueError("connection refused, return code %d" % rx[3])
                self.acked = _CONNACKED
            elif typ != _PINGRESP:
                raise ValueError("unexpected packet 0x%02x" % typ)

    async def _send(self, data, ack=-1):
        """Write `data`; then, unless `ack` is -1, wait for the broker to acknowledge
        packet id `ack` (CONNACK is _CONNACKED)."""
        start = ticks_ms()
        sock = self._sock
        sent = sock.write(data) or 0  # type: ignore[union-attr]
        while sent < len(data):
            await self._wait(start, "send", _POLL_MS)
            sent += sock.write(memoryview(data)[sent:]) or 0  # type: ignore[union-attr]
        self._last_tx = start = ticks_ms()
        if ack >= 0:
            self._receive()  # on a fast link the ack is often there already
            while self.acked != ack:
                await self._wait(start, "ack", _POLL_MS)
