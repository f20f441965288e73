"""`hubsense node add|remove|list`: a node's login, key, config and bundle, from the layout;
the bundle run as it is on the unix port, over TLS, against the real broker."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import main
from deploy.firmware import SENSORS_DIR
from deploy.provision import NodeKeys
from devstack.fleet import FleetSite
from devstack.mosquitto import login_works
from devstack.nodes import BundleNode, micropython_exe
from hubsense.contract import NodeTopic, parse_heartbeat, parse_node_topic, parse_observation
from hubsense.layout import Layout
from hubsense.nodekey import password
from hubsense.passwd import read_passwd, verify
from tests.conftest import eventually
from tests.sensors.conftest import Recorder, topic
from tests.sensors.fleet import site_fixture

pytestmark = pytest.mark.services


@pytest.fixture
def site(tmp_path: Path, layout: Layout) -> Iterator[FleetSite]:
    yield from site_fixture(tmp_path, layout)


def hubsense(site: FleetSite, *argv: str) -> int:
    return main([*argv, "-c", str(site.config)])


def _private(path: Path) -> bool:
    return path.stat().st_mode & 0o077 == 0


def test_node_add_writes_login_key_and_bundle_from_the_layout(
        site: FleetSite, layout: Layout, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = site.root / "board" / "inputs"
    assert hubsense(site, "node", "add", "desk-q1", "--kind", "desk", "--sim", str(inputs)) == 0
    out = capsys.readouterr().out
    f = site.settings.fleet
    bundle = f.bundles_dir / "desk-q1"
    assert f"cd {bundle} && while MICROPYPATH=.frozen {micropython_exe()} -m main" in out
    assert "broker       reloaded (SIGHUP, no restart): it takes desk-q1" in out
    key = NodeKeys(f.node_keys).load()["desk-q1"].key
    assert len(key) == 32 and _private(f.node_keys)
    # The broker and the API know the password as a hash only; nobody stores it.
    hashed = read_passwd(f.node_logins)
    assert set(hashed) == {"desk-q1"} and verify(password(key, 1), hashed["desk-q1"])
    assert _private(f.node_logins)
    assert login_works(site.broker.host, site.broker.port, "desk-q1", password(key, 1))
    # The config says what the layout says, and holds no secret.
    cfg = json.loads((bundle / "a" / "config.json").read_text())
    node = layout.node("desk-q1")
    assert node is not None
    assert [(i["n"], i["sensor"]) for i in cfg["inputs"]] == [(i.n, "pir") for i in node.inputs]
    assert (cfg["kind"], cfg["heartbeat_s"], cfg["site"]) == ("desk", 30, layout.site.id)
    assert "password" not in cfg["broker"] and "wifi" not in cfg
    assert cfg["broker"]["ca"] == "ca.der" and cfg["ota"] == {"url": site.api_url}
    assert (bundle / "a" / "node.key").read_bytes() == key and _private(bundle / "a" / "node.key")
    assert (bundle / "a" / "ca.der").read_bytes() == site.broker.tls.ca_der.read_bytes()
    assert (bundle / "main.py").read_text() == (SENSORS_DIR / "bundle" / "main.py").read_text()
    assert json.loads((bundle / "ota.json").read_text()) == {"slot": "a", "release": 0}
    # Release 0's manifest: every file in slot a, as it is.
    lines = (bundle / "a" / "manifest").read_text().splitlines()
    assert lines[0].startswith(f"hubsense-ota 1 {layout.site.id} desk-q1 0 ")
    for line in lines[1:]:
        sha, size, path = line.split()
        data = (bundle / "a" / path).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (sha, int(size))
    assert {ln.split()[2] for ln in lines[1:]} >= {"config.json", "ca.der",
                                                  "hubsense_node/mqtt.mpy"}


def test_the_printed_run_line_boots_the_node_as_pasted(
        site: FleetSite, capsys: pytest.CaptureFixture[str]) -> None:
    """What `node add --sim` tells a user to paste, pasted into a shell: the node comes
    online and reports what its sensors file says."""
    inputs = site.root / "board" / "inputs"
    assert hubsense(site, "node", "add", "desk-q1", "--sim", str(inputs)) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("run it"))
    inputs.parent.mkdir(parents=True, exist_ok=True)
    inputs.write_text("1=1\nlink=1\n")
    assert f"lines `N=value` in {inputs}" in out
    rec = Recorder(site.broker)
    shell = subprocess.Popen(["bash", "-c", line.strip().removeprefix("run it").strip()],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        rec.wait_for(lambda m: m.topic == topic("desk-q1", "status")
                     and m.payload == b"online", 30, "desk-q1 online")
        rec.wait_for(lambda m: m.topic == topic("desk-q1", "in/1")
                     and json.loads(m.payload)["present"] is True, 30, "input 1 occupied")
    finally:
        os.killpg(shell.pid, signal.SIGKILL)
        shell.wait(10)
        rec.close()


def test_a_board_bundle_differs_only_by_wifi_and_simulation(
        site: FleetSite, capsys: pytest.CaptureFixture[str]) -> None:
    wifi = site.settings.fleet.wifi_file
    assert hubsense(site, "node", "add", "desk-q1") == 2
    assert "no Wi-Fi file" in capsys.readouterr().err
    wifi.write_text('{"ssid": "hub-iot", "password": "a long wifi passphrase"}')
    os.chmod(wifi, 0o600)
    assert hubsense(site, "node", "bundle", "desk-q1", "--port", "/dev/ttyACM0") == 0
    out = capsys.readouterr().out
    bundle = site.settings.fleet.bundles_dir / "desk-q1"
    assert f"bundle       {bundle} " in out
    assert ("flash it     mpremote connect /dev/ttyACM0 cp -r a main.py otaboot.mpy ota.json "
            ": + reset") in out
    assert json.loads((bundle / "a" / "wifi.json").read_text())["ssid"] == "hub-iot"
    assert _private(bundle / "a" / "wifi.json")
    assert "sim" not in json.loads((bundle / "a" / "config.json").read_text())


@pytest.mark.parametrize("argv,why", [
    (["node", "add", "desk-q9"], "node 'desk-q9' is not in the layout"),
    (["node", "add", "desk-q1", "--kind", "buzz"], "is a desk node in the layout, not buzz"),
])
def test_node_add_refuses_what_the_layout_does_not_say(
        site: FleetSite, capsys: pytest.CaptureFixture[str], argv: list[str], why: str) -> None:
    assert hubsense(site, *argv) == 2
    assert why in capsys.readouterr().err
    assert not site.settings.fleet.node_keys.exists()
    assert not read_passwd(site.settings.fleet.node_logins)


def test_node_add_refuses_a_node_twice(site: FleetSite,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    sim = str(site.root / "inputs")
    assert hubsense(site, "node", "add", "desk-q1", "--sim", sim) == 0
    key = site.key("desk-q1")
    assert hubsense(site, "node", "add", "desk-q1", "--sim", sim) == 2
    assert "provisioned already" in capsys.readouterr().err
    assert site.key("desk-q1") == key


def test_the_bundle_runs_as_it_is_and_adding_a_node_costs_the_others_nothing(
        site: FleetSite, layout: Layout) -> None:
    """A bundle on the unix port, over TLS; the broker takes the next node's login with a
    reload, not a restart, and the node already there loses neither session nor message."""
    rec = Recorder(site.broker)
    try:
        first = site.add("desk-q2")
        rec.wait_for(lambda m: m.topic == topic("desk-q2", "status") and m.payload == b"online",
                     what="desk-q2 online over TLS")
        pid = site.broker.child.pid if site.broker.child else None
        for i in range(40):  # desk-q2 publishes changes all along
            first.set_inputs({1 + i % 4: i % 2 == 0})
            if i == 10:
                node = site.add("desk-q1")  # provision, reload, flash, boot
            time.sleep(0.1)
        rec.wait_for(lambda m: m.topic == topic("desk-q1", "heartbeat"), timeout=20,
                     what="desk-q1's first heartbeat")
        node.set_inputs({2: True})
        rec.wait_for(lambda m: m.topic == topic("desk-q1", "in/2") and b'"present":true'
                     in m.payload, what="desk-q1 sees its desk 2 taken")
        first.set_inputs({1: False, 2: False, 3: False, 4: False})
        time.sleep(1)
    finally:
        rec.close()
    assert site.broker.child is not None and site.broker.child.pid == pid, "no restart"
    q2 = [m for m in rec.messages() if "/node/desk-q2/" in m.topic]
    assert [m.payload for m in q2 if m.topic.endswith("/status")] == [b"online"]
    seqs = [json.loads(m.payload)["seq"] for m in q2 if not m.topic.endswith("/status")]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "no message lost"
    for m in rec.messages():
        t = parse_node_topic(m.topic, layout.site.id) if "/node/" in m.topic else None
        if t is not None and t.leaf is NodeTopic.INPUT:
            parse_observation(layout, t, m.payload)
        elif t is not None and t.leaf is NodeTopic.HEARTBEAT:
            assert parse_heartbeat(m.payload).rel == 0
    assert isinstance(node, BundleNode) and node.alive() and "Error" not in node.output()


def test_node_remove_revokes_the_login_and_clears_retained_topics(
        site: FleetSite, capsys: pytest.CaptureFixture[str]) -> None:
    node = site.add("desk-q1")
    key = site.key("desk-q1")
    rec = Recorder(site.broker)
    try:
        rec.wait_for(lambda m: m.topic == topic("desk-q1", "status") and m.payload == b"online",
                     what="online")
        assert hubsense(site, "node", "remove", "desk-q1") == 0
        out = capsys.readouterr().out
        assert "retained     desk-q1's status and update offer cleared" in out
    finally:
        rec.close()
    assert not login_works(site.broker.host, site.broker.port, "desk-q1", password(key, 1))
    assert not (site.settings.fleet.bundles_dir / "desk-q1").exists()
    assert "desk-q1" not in NodeKeys(site.settings.fleet.node_keys).load()
    # The node was dropped at the reload and is refused since.
    eventually(lambda: "connection refused" in node.output(), 10, "the node refused")
    # A new subscriber finds nothing retained of it.
    late = Recorder(site.broker, topic="hubsense/v1/+/node/desk-q1/#")
    try:
        time.sleep(1)
        assert [m for m in late.messages() if m.retain] == []
    finally:
        late.close()


def test_node_list_shows_which_nodes_are_provisioned(
        site: FleetSite, layout: Layout, capsys: pytest.CaptureFixture[str]) -> None:
    assert hubsense(site, "node", "add", "buzz-n", "--sim", str(site.root / "i")) == 0
    capsys.readouterr()
    assert hubsense(site, "node", "list") == 0
    rows = {ln.split()[0]: ln.split() for ln in capsys.readouterr().out.splitlines()[1:]}
    assert set(rows) == {n.id for n in layout.nodes}
    assert rows["buzz-n"][1:4] == ["buzz", "2", "yes"] and rows["desk-q1"][3] == "no"
