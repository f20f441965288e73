"""A small HTTP/1.1 client for updates: GET with Range and Basic auth, over TLS that
checks the server against the site CA (or plain, on loopback).

Polled like the MQTT client (a non-blocking socket, never a blocking read), so
the MQTT task keeps reporting while a release downloads; one connection is
kept alive between requests. Only what the API sends is understood: a
Content-Length body, no chunked encoding. Loaded in update mode only.
"""

import asyncio
import select
import socket
from binascii import b2a_base64
from errno import EINPROGRESS
from time import ticks_diff, ticks_ms

from micropython import const

_TIMEOUT_MS = const(15000)  # the longest the server may leave a request without a byte


class Http:
    """Requests to one server (`url`: http[s]://host[:port]), as one node."""

    def __init__(self, url, user, password, ctx, buf):
        """`ctx`: the node's TLS context (the site CA); `buf`: a bytearray to read into."""
        tls = url.startswith("https://")
        host, _, port = url[8 if tls else 7:].rstrip("/").partition(":")
        self._addr = (host, int(port) if port else 443 if tls else 80)
        self._ctx = ctx if tls else None
        self.login(user, password)
        self._buf = memoryview(buf)
        self._sock = None
        self._left = 0  # the response being read: body bytes to go,
        self._keep = True  # whether the connection serves another request,
        self._rest = self._buf[:0]  # and what of the body came with the head

    def login(self, user, password):
        self._auth = b2a_base64(("%s:%s" % (user, password)).encode()).strip().decode()

    def close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None

    async def _open(self):
        sock = socket.socket()
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
            await self._idle(start)
        if self._ctx is not None:
            # The handshake runs inside the first write and reads, as for MQTT.
            sock = self._ctx.wrap_socket(sock, server_hostname=self._addr[0],
                                         do_handshake_on_connect=False)
        self._sock = sock

    async def _idle(self, start):
        await asyncio.sleep_ms(2)
        if ticks_diff(ticks_ms(), start) > _TIMEOUT_MS:
            raise OSError("http: timeout")

    async def get(self, path, offset=0):
        """Send GET `path` (from byte `offset` on) and read the response's head; return
        the status. Then call body(). OSError: the connection failed (try again)."""
        if self._sock is None:
            await self._open()
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\n%s\r\n" % (
            path, self._addr[0], self._auth,
            "Range: bytes=%d-\r\n" % offset if offset else "")).encode()
        sock, start, sent = self._sock, ticks_ms(), 0
        try:
            while sent < len(req):
                n = sock.write(req[sent:])  # type: ignore[union-attr]
                if n is None:
                    await self._idle(start)
                sent += n or 0
            status, self._left, self._keep, self._rest = await self._head(sock)
        except Exception:
            self.close()  # half an exchange makes a connection useless
            raise
        return status

    async def body(self, sink=None):
        """Feed the response's body to `sink(chunk)` (None: read past it)."""
        sock, body, left, start = self._sock, self._rest, self._left, ticks_ms()
        try:
            while True:
                body = body[:left]
                if len(body):
                    if sink is not None:
                        sink(body)
                    left -= len(body)
                    start = ticks_ms()
                if left <= 0:
                    break
                got = sock.readinto(self._buf, min(left, len(self._buf)))  # type: ignore[union-attr]
                if got is None:
                    await self._idle(start)
                    body = self._buf[:0]
                    continue
                if not got:
                    raise OSError("http: connection closed")
                body = self._buf[:got]
        except Exception:
            self.close()
            raise
        if not self._keep:
            self.close()

    async def _head(self, sock):
        """Read the status line and headers; return (status, length, keep-alive, body so far)."""
        buf, n, start = self._buf, 0, ticks_ms()
        while True:
            got = sock.readinto(buf[n:])
            if got is None:
                await self._idle(start)
                continue
            if not got:
                raise OSError("http: connection closed")
            n += got
            end = bytes(buf[:n]).find(b"\r\n\r\n")
            if end >= 0:
                break
            if n == len(buf):
                raise OSError("http: headers too long")
        lines = bytes(buf[:end]).decode().lower().split("\r\n")
        status, length, keep = int(lines[0].split()[1]), -1, True
        for line in lines[1:]:
            k, _, v = line.partition(":")
            v = v.strip()
            if k == "content-length":
                length = int(v)
            elif k == "connection":
                keep = v != "close"
            elif k == "transfer-encoding" and v != "identity":
                raise OSError("http: %s bodies are not understood" % v)
        if length < 0:
            raise OSError("http: no content-length")
        return status, length, keep, buf[end + 4:n]
