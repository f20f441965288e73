"""A site to provision and update nodes on, for the tests and the firmware benchmark.

A real Mosquitto (TLS, node logins from the fleet's file, reloaded by SIGHUP
as `hubsense node …` does), `hubsense api` serving releases over HTTPS
with a certificate of the site CA (what the proxy does when deployed), and
node bundles run as they are on the MicroPython unix port (BundleNode).
Everything goes through one settings file, as the commands read it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import tomlkit

from deploy.firmware import SENSORS_DIR
from deploy.offers import FleetLink
from deploy.provision import NodeKeys, build_bundle, provision, reload_broker
from deploy.releases import build_release
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.nodes import BundleNode
from devstack.processes import Child, free_port, tcp_open, wait_until
from hubsense.files import write_private
from hubsense.layout import Layout
from hubsense.passwords import new_secret
from hubsense.releases import ReleaseInfo
from hubsense.settings import Settings, load_settings


class FleetSite:
    """The broker, the settings file and (start_api) the API, under `root`."""

    def __init__(self, root: Path, layout: Layout, layout_file: Path,
                 admins: tuple[str, ...] = (), rollback_s: int = 30,
                 collector: bool = False) -> None:
        self.root = root
        self.layout = layout
        users = BrokerUsers.for_site(layout.site.id, [], admins=admins)
        fleet = root / "fleet"
        self.broker = Mosquitto(root / "mosquitto", free_port(), users, tls_port=free_port(),
                                node_logins=fleet / "nodes.passwd").start()
        assert self.broker.tls_port is not None
        self.api_port = free_port()
        self.api_url = f"https://{self.broker.host}:{self.api_port}"
        self.staff_token = new_secret()
        self.nodes: list[BundleNode] = []
        self.services: list[Child] = []
        doc: dict[str, Any] = {
            "layout": str(layout_file),
            "mqtt": {"host": self.broker.host, "port": self.broker.tls_port, "tls": True,
                     "ca_file": str(self.broker.tls.ca_crt)},
            "api": {"port": self.api_port, "mqtt": self._login("api"), "rate_limit_per_min": 0,
                    "tokens": [{"name": "staff", "token": self.staff_token,
                                "scopes": ["nodes:read"]}]},
            "collector": {"mqtt": self._login("collector"), "spool_dir": str(root / "spool"),
                          "heartbeat_s": 5},
            "fleet": {"mqtt": self._login("fleet"), "node_logins": str(fleet / "nodes.passwd"),
                      "node_keys": str(fleet / "node-keys.json"),
                      "wifi_file": str(fleet / "wifi.json"),
                      "tls_dir": str(self.broker.tls.dir), "bundles_dir": str(fleet / "bundles"),
                      "releases_dir": str(root / "releases"), "api_url": self.api_url,
                      "arch": "x64", "broker_dir": str(self.broker.workdir),
                      "rollback_s": rollback_s},
        }
        self.config = write_private(root / "hubsense.toml", tomlkit.dumps(doc))
        self.settings: Settings = load_settings(self.config)

    def _login(self, user: str) -> dict[str, str]:
        return {"username": user, "password": self.broker.users.passwords[user]}

    def start_api(self, tls: bool = True) -> FleetSite:
        """`hubsense api`, serving HTTPS itself with the broker's certificate (the site CA);
        plain HTTP without `tls`, for a proxy in front of it as deployed."""
        files = self.broker.tls
        https = ["--tls-cert", str(files.server_crt), "--tls-key", str(files.server_key)]
        api = Child("api", [sys.executable, "-m", "cli", "api", "-c", str(self.config),
                            *(https if tls else [])],
                    self.root / "logs" / "api.log", die_with_parent=True).start()
        self.services.append(api)
        wait_until(lambda: tcp_open(self.broker.host, self.api_port), 30, "api", api.alive)
        return self

    def start_collector(self, influx_url: str, database: str) -> FleetSite:
        """The collector, which keeps what staff see of each node and its updates."""
        col = Child("collector", [sys.executable, "-m", "cli", "collector", "-c",
                                  str(self.config)], self.root / "logs" / "collector.log",
                    env={"HUBSENSE_INFLUX__URL": influx_url,
                         "HUBSENSE_INFLUX__DATABASE": database}, die_with_parent=True).start()
        self.services.append(col)
        wait_until(lambda: "running" in col.tail(200), 30, "collector", col.alive)
        return self

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
                same_as: int | None = None, layout: Layout | None = None) -> ReleaseInfo:
        """`hubsense ota release` of firmware `version` (its FW) with `patch`es to its
        source: {path in sensors/: (old text, new text)}, a new file where old is "";
        configs from `layout`."""
        source = None
        if version or patch:
            source = self.root / f"src-{sum(1 for _ in self.root.glob('src-*'))}"
            shutil.copytree(SENSORS_DIR, source)
            edits = dict(patch or {})
            if version:
                init = "hubsense_node/__init__.py"
                fw = (source / init).read_text().split('FW = "')[1].split('"')[0]
                edits[init] = (f'FW = "{fw}"', f'FW = "{version}"')
            for path, (old, new) in edits.items():
                if not old:
                    (source / path).write_text(new)
                    continue
                text = (source / path).read_text()
                if old not in text:
                    raise ValueError(f"{path}: no {old!r} to patch")
                (source / path).write_text(text.replace(old, new))
        return build_release(self.settings, layout or self.layout, nodes, source=source,
                             same_as=same_as)

    def offer(self, nodes: list[str], info: ReleaseInfo) -> None:
        with FleetLink(self.settings, self.layout.site.id) as link:
            link.offer(nodes, info.release, info.version)

    def key(self, node_id: str) -> bytes:
        return NodeKeys(self.settings.fleet.node_keys).load()[node_id].key

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        for child in reversed(self.services):
            child.stop()
        self.broker.stop()
