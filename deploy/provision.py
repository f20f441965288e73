"""Provisioning nodes: a node's key and broker login, its config from the layout, and the
bundle that is flashed to it (`hubsense node add|remove|rotate|list`, docs/deploy.md).

The layout says what a node is and observes; nothing here repeats an input
list. A node's secrets are its update key (`node.key`, which also derives its
broker password: hubsense/nodekey.py) and the site's Wi-Fi (`wifi.json`, from
one site file), both written only into its bundle; its config.json holds no
secret, so releases can carry it over the air.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.firmware import NOT_RELEASED, SENSORS_DIR, compile_tree, release_files, version
from hubsense.files import private_dir, write_private
from hubsense.layout import Layout, Measure, Node
from hubsense.manifest import FORMAT, FileEntry
from hubsense.nodekey import new_key, password
from hubsense.passwd import mosquitto_hash, read_passwd, verify, write_passwd
from hubsense.settings import Settings

# The sensor that reports each measure (sensors/hubsense_node/config.py).
SENSOR = {Measure.PRESENCE: "pir", Measure.COUNT: "radar", Measure.SOUND: "mic",
          Measure.PASSAGE: "beams"}
CA_FILE = "ca.der"
SLOT = "a"  # a bundle's firmware slot; updates alternate a and b (sensors/otaboot.py)


class ProvisionError(ValueError):
    """A node cannot be provisioned as asked; the message says why and what to do."""


@dataclass(frozen=True)
class NodeSecret:
    """A node's update key, and which rotation of its password the broker and its
    newest config hold (they differ while a rotation is delivered). `sim_file`: a
    node provisioned for the unix port (its sensors simulated from that file)."""

    key: bytes
    broker_rotation: int = 1
    node_rotation: int = 1
    sim_file: str | None = None

    def password(self) -> str:
        """The password the broker takes now."""
        return password(self.key, self.broker_rotation)


class NodeKeys:
    """The node keys file (`fleet.node_keys`, owner-only): JSON by node id."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, NodeSecret]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise ProvisionError(f"{self.path}: not a node keys file: {exc}") from None
        return {n: NodeSecret(bytes.fromhex(v["key"]), v["broker_rotation"], v["node_rotation"],
                              v.get("sim_file")) for n, v in raw.items()}

    def save(self, keys: Mapping[str, NodeSecret]) -> None:
        write_private(self.path, json.dumps(
            {n: {"key": s.key.hex(), "broker_rotation": s.broker_rotation,
                 "node_rotation": s.node_rotation,
                 **({"sim_file": s.sim_file} if s.sim_file else {})}
             for n, s in sorted(keys.items())}, indent=2) + "\n")


def layout_node(layout: Layout, node_id: str, kind: str | None = None) -> Node:
    """The layout's node `node_id`; refuse one it does not have, or another kind."""
    node = layout.node(node_id)
    if node is None:
        known = ", ".join(n.id for n in layout.nodes) or "none"
        raise ProvisionError(f"node '{node_id}' is not in the layout (its nodes: {known}); "
                             f"add it there first: the layout says what a node observes")
    if kind is not None and kind != node.kind.value:
        raise ProvisionError(f"node '{node_id}' is a {node.kind.value} node in the layout, "
                             f"not {kind}")
    return node


def node_config(settings: Settings, layout: Layout, node_id: str, rotation: int,
                sim_file: str | None = None) -> dict[str, Any]:
    """The node's config.json, from the layout and the settings: no secret in it."""
    node = layout_node(layout, node_id)
    f, m = settings.fleet, settings.mqtt
    broker: dict[str, Any] = {"host": f.broker_host or m.host,
                              "port": f.broker_port or m.port, "rotation": rotation}
    if m.tls:
        broker["ca"] = CA_FILE
        if f.server_name:
            broker["server_name"] = f.server_name
    cfg: dict[str, Any] = {
        "node": node.id, "site": layout.site.id, "kind": node.kind.value, "broker": broker,
        "heartbeat_s": node.heartbeat_s,
        "inputs": [{"n": i.n, "sensor": SENSOR[i.measures], **i.settings()} for i in node.inputs],
    }
    if f.api_url:
        cfg["ota"] = {"url": f.api_url}
    if f.ntp:
        cfg["ntp"] = f.ntp
    if sim_file is not None:
        cfg["sim"] = {"file": sim_file}
    return cfg


def config_bytes(cfg: Mapping[str, Any]) -> bytes:
    return (json.dumps(cfg, indent=1, sort_keys=True) + "\n").encode()


def read_wifi(path: Path) -> bytes:
    """The site's Wi-Fi for nodes, checked: {"ssid": 1-32 chars, "password": 0-64}."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProvisionError(f"{path}: no Wi-Fi file; write {{\"ssid\": \"…\", \"password\": "
                             f"\"…\"}} there (owner-only), or use --sim for the unix "
                             f"port") from None
    except ValueError as exc:
        raise ProvisionError(f"{path}: not JSON: {exc}") from None
    ok = (isinstance(raw, dict) and set(raw) == {"ssid", "password"}
          and isinstance(raw["ssid"], str) and 1 <= len(raw["ssid"]) <= 32
          and isinstance(raw["password"], str) and len(raw["password"]) <= 64)
    if not ok:
        raise ProvisionError(f"{path}: expected {{\"ssid\": 1-32 characters, \"password\": "
                             f"0-64 characters}}")
    return json.dumps(raw).encode()


def write_logins(path: Path, keys: Mapping[str, NodeSecret]) -> None:
    """Write the node logins (hashed) the broker and the API check: one per provisioned
    node, at its broker rotation. Unchanged logins keep their hash."""
    old = read_passwd(path)
    out = {}
    for node, secret in keys.items():
        pw = secret.password()
        out[node] = old[node] if node in old and verify(pw, old[node]) else mosquitto_hash(pw)
    write_passwd(path, out)


def reload_broker(settings: Settings) -> list[str]:
    """Make the broker take the node logins as they are now, without a restart.

    With `fleet.broker_dir` (the local stack) the broker's password file is
    rewritten here and the broker sent SIGHUP: it takes new logins, and drops
    connections whose login no longer holds, at once; connected nodes keep
    their sessions. Otherwise, return the docker-compose commands that do it.
    """
    d = settings.fleet.broker_dir
    if d is None:
        return ["docker-compose run --rm broker-config",
                "docker-compose exec mosquitto sh /entrypoint.sh reload"]
    hashed = read_passwd(d / "base.passwd")
    hashed.update(read_passwd(settings.fleet.node_logins))
    write_passwd(d / "passwd", hashed)
    try:
        pid = int((d / "mosquitto.pid").read_text())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        raise ProvisionError(f"the broker in {d} could not be told to reload: {exc}") from None
    return []


def node_files(settings: Settings, layout: Layout, node_id: str,
               secret: NodeSecret) -> dict[str, bytes]:
    """What a node gets of its own in a bundle and in each release: config.json, and
    the site CA when it speaks TLS (public, so a new site CA can go over the air)."""
    files = {"config.json": config_bytes(node_config(settings, layout, node_id,
                                                     secret.node_rotation, secret.sim_file))}
    if settings.mqtt.tls:
        ca = settings.fleet.tls_dir / CA_FILE
        if not ca.exists():
            raise ProvisionError(f"{ca}: no site CA for the node; run `hubsense tls init` "
                                 f"first")
        files[CA_FILE] = ca.read_bytes()
    return files


@dataclass(frozen=True)
class Bundle:
    dir: Path
    version: str

    def mpremote(self, port: str = "/dev/ttyUSB0") -> str:
        """The command that flashes it, run in the bundle's directory."""
        return f"mpremote connect {port} cp -r {SLOT} main.py otaboot.mpy ota.json : + reset"


def build_bundle(settings: Settings, layout: Layout, node_id: str, secret: NodeSecret,
                 arch: str | None, source: Path | None = None) -> Bundle:
    """Write the node's flashable file system: the boot loader at the top, the compiled
    firmware, its config, the site CA, its key and the Wi-Fi in slot `a`."""
    out = settings.fleet.bundles_dir / node_id
    if out.exists():
        shutil.rmtree(out)
    private_dir(out)  # it holds the node's key
    source = source or SENSORS_DIR
    tree = compile_tree(out / ".tree", source, arch)
    slot = private_dir(out / SLOT)
    shutil.copyfile(tree / "bundle" / "main.py", out / "main.py")
    shutil.copyfile(tree / "otaboot.mpy", out / "otaboot.mpy")
    files = release_files(tree)
    files.update(node_files(settings, layout, node_id, secret))
    for path, data in files.items():
        (slot / path).parent.mkdir(parents=True, exist_ok=True)
        (slot / path).write_bytes(data)
    shutil.copyfile(tree / "board.mpy", slot / "board.mpy")
    write_private(slot / "node.key", secret.key)
    if secret.sim_file is None:
        write_private(slot / "wifi.json", read_wifi(settings.fleet.wifi_file))
    fw = version(source)
    # Release 0: what was flashed. Its manifest (untagged: nothing checks it but
    # this node) lets the first update copy unchanged files instead of fetching them.
    (slot / "manifest").write_text(
        f"{FORMAT} {layout.site.id} {node_id} 0 {fw} {settings.fleet.rollback_s}\n"
        + "".join(FileEntry.of(p, d).line() for p, d in sorted(files.items())))
    (out / "ota.json").write_text(json.dumps({"slot": SLOT, "release": 0}))
    shutil.rmtree(tree)
    assert not (set(NOT_RELEASED) & set(files))
    return Bundle(out, fw)


def provision(settings: Settings, layout: Layout, node_id: str, kind: str | None,
              sim_file: str | None = None) -> NodeSecret:
    """Give a node of the layout its key and broker login (not yet applied to the broker)."""
    layout_node(layout, node_id, kind)
    store = NodeKeys(settings.fleet.node_keys)
    keys = store.load()
    if node_id in keys:
        raise ProvisionError(f"node '{node_id}' is provisioned already: `hubsense node bundle "
                             f"{node_id}` builds its bundle again, `hubsense node remove` "
                             f"revokes it")
    keys[node_id] = NodeSecret(new_key(), sim_file=sim_file)
    store.save(keys)
    write_logins(settings.fleet.node_logins, keys)
    return keys[node_id]


def forget(settings: Settings, node_id: str) -> None:
    """Revoke a node: its key and its login go (not yet applied to the broker)."""
    store = NodeKeys(settings.fleet.node_keys)
    keys = store.load()
    if node_id not in keys:
        raise ProvisionError(f"node '{node_id}' is not provisioned")
    del keys[node_id]
    store.save(keys)
    write_logins(settings.fleet.node_logins, keys)
    bundle = settings.fleet.bundles_dir / node_id
    if bundle.exists():
        shutil.rmtree(bundle)
