"""A small HTTP/1.1 client for updates: GET with Range and Basic auth, over TLS that
checks the server against the site CA (or plain, on loopback).

Polled like the MQTT client (a non-blocking socket, never a blocking read);
one connection is kept alive between requests. Only what the API sends is
understood: a Content-Length body, no chunked encoding. Loaded in update
mode only, and unloaded once the download is done.
"""

import asyncio
import socket
from time import ticks_diff, ticks_ms

from micropython import const

from hubsense_node.mqtt import dial

_TIMEOUT_MS = const(15000)  # the longest the server may leave a request without a byte


class Http:
    """Requests to one server (`url`: http[s]://host[:port]), with `auth` (the value of
    an Authorization header), through `buf`, a bytearray of its own."""

    def __init__(self, url, auth, ctx, buf):
        tls = url.startswith("https://")
        host, _, port = url[8 if tls else 7:].rstrip("/").partition(":")
        self._addr = (host, int(port) if port else 443 if tls else 80)
        self._ctx = ctx if tls else None
        self.auth = auth
        self._buf = memoryview(buf)
        self._sock = None
        self._left = 0  # the response being read: body bytes to go,
        self._keep = True  # whether the connection serves another request,
        self._rest = self._buf[:0]  # and what of the body came with the head

    def close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None

    async def _idle(self, start):
        await asyncio.sleep_ms(2)
        if ticks_diff(ticks_ms(), start) > _TIMEOUT_MS:
            raise OSError("http: timeout")

    async def get(self, path, offset=0):
        """Send GET `path` (from byte `offset` on) and read the response's head; return
        the status. Then call body(). OSError: the connection failed (try again)."""
        try:
            if self._sock is None:
                sock = self._sock = socket.socket()
                await dial(sock, self._addr, self._idle)
                # The TLS handshake runs inside the first write and reads, as for MQTT.
                if self._ctx is not None:
                    self._sock = self._ctx.wrap_socket(sock, server_hostname=self._addr[0],
                                                       do_handshake_on_connect=False)
            req = ("GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n%s\r\n" % (
                path, self._addr[0], self.auth,
                "Range: bytes=%d-\r\n" % offset if offset else "")).encode()
            sock, start, n = self._sock, ticks_ms(), 0
            while n < len(req):
                got = sock.write(req[n:])
                if got is None:
                    await self._idle(start)
                n += got or 0
            buf, n, start = self._buf, 0, ticks_ms()
            while True:  # the head: status line and headers
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
            self._left, self._keep, self._rest = -1, True, buf[end + 4:n]
            for line in lines[1:]:
                k, _, v = line.partition(":")
                v = v.strip()
                if k == "content-length":
                    self._left = int(v)
                elif k == "connection":
                    self._keep = v != "close"
                elif k == "transfer-encoding" and v != "identity":
                    raise OSError("http: %s bodies are not understood" % v)
            if self._left < 0:
                raise OSError("http: no content-length")
            return int(lines[0].split()[1])
        except Exception:
            self.close()  # half an exchange makes a connection useless
            raise

    async def body(self, f=None, limit=0):
        """Write the response's body to file `f` (None: read past it). ValueError if it
        would make `f` longer than `limit` bytes."""
        body, left, start = self._rest, self._left, ticks_ms()
        try:
            while True:
                body = body[:left]
                if len(body):
                    if f is not None:
                        if f.tell() + len(body) > limit:
                            raise ValueError("longer than the manifest says")
                        f.write(body)
                    left -= len(body)
                    start = ticks_ms()
                if left <= 0:
                    break
                got = self._sock.readinto(self._buf, min(left, len(self._buf)))  # type: ignore[union-attr]
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
