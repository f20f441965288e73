"""`hubsense simulate`, as docker-compose runs it: real MicroPython nodes on a real broker."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from cli.main import build_parser
from devstack.mosquitto import Mosquitto
from devstack.processes import Child, free_port
from hubsense.contract import node_topic
from hubsense.layout import Layout
from tests.api.conftest import eventually
from tests.conftest import EXAMPLE_LAYOUT, ROOT

pytestmark = pytest.mark.services


class Statuses:
    """The retained `status` of every node, as a subscriber sees it."""

    def __init__(self, broker: Mosquitto, site: str) -> None:
        self.seen: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="tester-status")
        self.client.username_pw_set(*broker.users.take_admin())
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(node_topic(site, "+", "status"), qos=1)
        self.client.loop_start()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.seen[msg.topic.split("/")[-2]] = bytes(msg.payload)

    def with_status(self, status: bytes) -> set[str]:
        with self.lock:
            return {n for n, p in self.seen.items() if p == status}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def config_files(tmp_path: Path, broker: Mosquitto, layout: Layout) -> tuple[Path, Path]:
    conf = tmp_path / "hubsense.toml"
    conf.write_text(f'layout = "{EXAMPLE_LAYOUT}"\n[mqtt]\nhost = "{broker.host}"\n'
                    f"port = {broker.port}\n")
    # The format docs/deploy.md creates and deploy/mosquitto/entrypoint.sh reads.
    passwords = tmp_path / "simulator-nodes"
    passwords.write_text("# node:password\n" + "".join(
        f"{n.id}:{broker.users.passwords[n.id]}\n" for n in layout.nodes))
    return conf, passwords


def test_simulate_brings_every_node_online_and_stops_cleanly(
        tmp_path: Path, broker: Mosquitto, layout: Layout) -> None:
    conf, passwords = config_files(tmp_path, broker, layout)
    statuses = Statuses(broker, layout.site.id)
    sim = Child("simulate", [sys.executable, "-m", "cli", "simulate", "-c", str(conf),
                             "--passwords", str(passwords), "--workdir", str(tmp_path / "sim")],
                tmp_path / "simulate.log", cwd=ROOT).start()
    try:
        everyone = {n.id for n in layout.nodes}
        eventually(lambda: statuses.with_status(b"online") == everyone, 30,
                   "every node's retained status online")
        assert sim.alive(), sim.tail()
    finally:
        code = sim.stop()
        statuses.close()
    assert code == 0, sim.tail()
    assert f"simulating {len(layout.nodes)} nodes of {layout.site.id}" in sim.tail()


def test_a_node_without_a_password_is_named(tmp_path: Path, broker: Mosquitto,
                                            layout: Layout) -> None:
    conf, passwords = config_files(tmp_path, broker, layout)
    passwords.write_text("\n".join(passwords.read_text().splitlines()[:-1]) + "\n")
    done = subprocess.run([sys.executable, "-m", "cli", "simulate", "-c", str(conf),
                           "--passwords", str(passwords)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert f"no password for nodes {layout.nodes[-1].id}" in done.stderr


def test_the_compose_simulator_command_is_one_we_parse() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    argv = compose["services"]["simulator"]["command"]
    args = build_parser().parse_args(argv)
    assert (args.command, args.config, args.passwords) == \
        ("simulate", "/etc/hubsense/hubsense.toml", "/run/secrets/simulator-nodes")
    mount = next(v for v in compose["services"]["simulator"]["volumes"]
                 if v.endswith(":" + args.passwords + ":ro"))
    assert "simulator-nodes" in mount, "the file docs/deploy.md has the broker hash too"


def test_nodes_that_cannot_connect_make_simulate_fail_naming_the_broker(
        tmp_path: Path, broker: Mosquitto, layout: Layout) -> None:
    conf, passwords = config_files(tmp_path, broker, layout)
    nobody = free_port()  # no broker listens here
    conf.write_text(conf.read_text().replace(f"port = {broker.port}", f"port = {nobody}"))
    done = subprocess.run([sys.executable, "-m", "cli", "simulate", "-c", str(conf),
                           "--passwords", str(passwords), "--workdir", str(tmp_path / "sim"),
                           "--connect-timeout", "3"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert f"could connect to the broker at {broker.host}:{nobody}" in done.stderr


def test_simulated_nodes_talk_tls_with_the_site_ca(tmp_path: Path, broker: Mosquitto,
                                                   layout: Layout) -> None:
    """As against a deployment: the broker's TLS port, the services' CA file (PEM)."""
    conf, passwords = config_files(tmp_path, broker, layout)
    conf.write_text(conf.read_text().replace(
        f"port = {broker.port}",
        f'port = {broker.tls_port}\ntls = true\nca_file = "{broker.tls.ca_crt}"'))
    statuses = Statuses(broker, layout.site.id)
    sim = Child("simulate", [sys.executable, "-m", "cli", "simulate", "-c", str(conf),
                             "--passwords", str(passwords), "--workdir", str(tmp_path / "sim")],
                tmp_path / "simulate.log", cwd=ROOT).start()
    try:
        eventually(lambda: statuses.with_status(b"online") == {n.id for n in layout.nodes},
                   60, "every node online over TLS")
        node_dir = tmp_path / "sim" / layout.nodes[0].id
        assert json.loads((node_dir / "config.json").read_text())["broker"]["ca"] == "ca.der"
        assert (node_dir / "config.json").stat().st_mode & 0o077 == 0, "it holds a password"
    finally:
        assert sim.stop() == 0, sim.tail()
        statuses.close()
