"""A site to provision and update nodes on: a real Mosquitto (TLS, node logins from the
fleet's file, reloaded by SIGHUP), the real API serving releases over HTTPS, and node
bundles run as they are on the MicroPython unix port (devstack.nodes.BundleNode)."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import SecretStr

from api.main import create_app
from api.main import server as api_server
from deploy.firmware import SENSORS_DIR
from deploy.provision import NodeKeys, build_bundle, provision, reload_broker
from deploy.releases import build_release
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.nodes import BundleNode
from devstack.processes import free_port, wait_until
from hubsense.layout import Layout
from hubsense.releases import ReleaseInfo
from hubsense.settings import ApiSettings, Credentials, FleetSettings, MqttSettings, Settings
from tests.conftest import ADMINS, EXAMPLE_LAYOUT

# What an update may use of the heap on the unix port, TLS included
# (bench/firmware_memory.py --ota measures the smallest that works).
HEAP_KB_OTA = 64


@dataclass
class Site:
    """Everything a fleet command needs, on free ports in a temporary directory."""

    root: Path
    layout: Layout
    broker: Mosquitto
    settings: Settings
    api_url: str
    nodes: list[BundleNode] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    def add(self, node_id: str, heapsize: str | None = None, start: bool = True) -> BundleNode:
        """`hubsense node add ID --sim`, then the bundle copied to a board and started."""
        secret = provision(self.settings, self.layout, node_id, None,
                           str(self.root / "boards" / node_id / "inputs"))
        reload_broker(self.settings)
        bundle = build_bundle(self.settings, self.layout, node_id, secret, "x64")
        node = BundleNode(bundle.dir, self.root / "boards" / node_id, heapsize)
        self.nodes.append(node)
        return node.start() if start else node

    def release(self, nodes: list[str] | None = None, version: str | None = None,
                patch: dict[str, tuple[str, str]] | None = None,
                same_as: int | None = None) -> ReleaseInfo:
        """`hubsense ota release`, of a firmware `version` (FW) with `patch`es:
        {file in sensors/: (old text, new text)}."""
        source = None
        if version or patch:
            source = self.root / f"src-{len(list(self.root.glob('src-*')))}"
            shutil.copytree(SENSORS_DIR, source)
            edits = dict(patch or {})
            if version:
                edits["hubsense_node/__init__.py"] = ('FW = "0.1.0"', f'FW = "{version}"')
            for path, (old, new) in edits.items():
                text = (source / path).read_text()
                assert old in text, f"{path}: no {old!r} to patch"
                (source / path).write_text(text.replace(old, new))
        return build_release(self.settings, self.layout, nodes, source=source, same_as=same_as)

    def key(self, node_id: str) -> bytes:
        return NodeKeys(self.settings.fleet.node_keys).load()[node_id].key

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self.broker.stop()


def make_site(root: Path, layout: Layout, api_port: int | None = None,
              rollback_s: int = 30) -> Site:
    """The broker and settings; the API is started by serve_api (its URL is in the config)."""
    users = BrokerUsers.for_site(layout.site.id, [], admins=ADMINS)
    fleet_dir = root / "fleet"
    broker = Mosquitto(root / "mosquitto", free_port(), users, tls_port=free_port(),
                       node_logins=fleet_dir / "nodes.passwd").start()
    port = api_port or free_port()
    assert broker.tls_port is not None

    def login(user: str) -> Credentials:
        return Credentials(username=user, password=SecretStr(users.passwords[user]))

    settings = Settings(
        layout=EXAMPLE_LAYOUT,
        mqtt=MqttSettings(host=broker.host, port=broker.tls_port, tls=True,
                          ca_file=broker.tls.ca_crt),
        api=ApiSettings(port=port, mqtt=login("api")),
        fleet=FleetSettings(mqtt=login("fleet"), node_logins=fleet_dir / "nodes.passwd",
                            node_keys=fleet_dir / "node-keys.json", tls_dir=broker.tls.dir,
                            bundles_dir=fleet_dir / "bundles", releases_dir=root / "releases",
                            api_url=f"https://{broker.host}:{port}", arch="x64",
                            broker_dir=broker.workdir, rollback_s=rollback_s))
    return Site(root, layout, broker, settings, f"https://{broker.host}:{port}")


def serve_api(site: Site) -> None:
    """The real API, serving HTTPS itself with the broker's certificate (site CA)."""
    app = create_app(site.settings, site.layout)
    tls = (site.broker.tls.server_crt, site.broker.tls.server_key)
    server = api_server(app, site.settings.api.host, site.settings.api.port, "warning", tls=tls)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    wait_until(lambda: server.started, 10, "api", thread.is_alive)
    site._server, site._thread = server, thread


def site_fixture(root: Path, layout: Layout, **kw: Any) -> Iterator[Site]:
    site = make_site(root, layout, **kw)
    try:
        serve_api(site)
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
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
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
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, limit), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
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
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()
