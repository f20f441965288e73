"""Helpers of the fleet tests: a site (devstack.fleet), and a relay that cuts downloads."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devstack.fleet import FleetSite
from hubsense.layout import Layout
from tests.conftest import ADMINS, EXAMPLE_LAYOUT

# The heap a node flashed as a bundle is held to on the unix port (TLS, and an
# update underway; bench/firmware_memory.py --ota finds the smallest that works).
HEAP_KB_OTA = 64


def site_fixture(root: Path, layout: Layout, **kw: Any) -> Iterator[FleetSite]:
    site = FleetSite(root, layout, EXAMPLE_LAYOUT, admins=ADMINS, **kw)
    try:
        site.start_api()
        yield site
    finally:
        site.stop()


class CutProxy:
    """A TCP relay on loopback that cuts its first connections after `after` bytes of the
    server's answer, as a Wi-Fi drop-out mid-download would; later ones pass whole."""

    def __init__(self, target: tuple[str, int], after: int, cuts: int = 1) -> None:
        self.target = target
        self.after = after
        self.cuts_left = cuts
        self.cut = 0
        self.passed: list[int] = []  # bytes of the server's answer each connection carried
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            limit = None
            if self.cuts_left:
                self.cuts_left -= 1
                limit = self.after
            threading.Thread(target=self._pipe, args=(client, upstream, None, False),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, limit, True),
                             daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None,
              answer: bool) -> None:
        sent = 0
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                if limit is not None and sent + len(data) >= limit:
                    dst.sendall(data[:limit - sent])
                    self.cut += 1
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        if answer:
            self.passed.append(sent)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()
