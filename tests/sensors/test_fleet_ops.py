"""Fleet operations end to end: a release rolled out to one node, then the rest, as staff
see it in the CLI and the staff API; a password rotated over the air, then on the broker.
Real broker (TLS), collector, InfluxDB, API (HTTPS) and node bundles on the unix port."""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cli.main import main
from deploy.provision import NodeKeys
from devstack.fleet import FleetSite
from devstack.influxdb import InfluxDB
from devstack.mosquitto import login_works
from hubsense.contract import parse_heartbeat
from hubsense.layout import Layout
from hubsense.nodekey import password
from tests.conftest import eventually
from tests.sensors.conftest import Recorder, topic
from tests.sensors.fleet import HEAP_KB_OTA, site_fixture

pytestmark = pytest.mark.services


@pytest.fixture
def site(tmp_path: Path, layout: Layout, influxdb: InfluxDB) -> Iterator[FleetSite]:
    for s in site_fixture(tmp_path, layout):
        s.start_collector(influxdb.url, f"t_{uuid.uuid4().hex[:8]}")
        yield s


def hubsense(site: FleetSite, *argv: str) -> int:
    return main([*argv, "-c", str(site.config)])


def staff(site: FleetSite, path: str) -> httpx.Response:
    ctx = ssl.create_default_context(cafile=str(site.broker.tls.ca_crt))
    return httpx.get(f"{site.api_url}{path}", verify=ctx, timeout=10,
                     headers={"Authorization": f"Bearer {site.staff_token}"})


def node_state(site: FleetSite, node: str) -> dict[str, object]:
    data = staff(site, "/api/v1/nodes").json()["data"]
    found: dict[str, object] = next(n for n in data if n["id"] == node)
    return found


def test_staff_roll_a_release_out_to_one_node_then_the_rest(
        site: FleetSite, capsys: pytest.CaptureFixture[str]) -> None:
    a = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
    b = site.add("desk-q2", heapsize=f"{HEAP_KB_OTA}K")
    eventually(lambda: all(node_state(site, n)["release"] == 0 for n in ("desk-q1", "desk-q2")),
               30, "both nodes on release 0, as the collector sees them")
    assert hubsense(site, "ota", "release", "--node", "desk-q1", "--node", "desk-q2",
                    "--source", str(site.root / "src")) == 2  # no such tree
    capsys.readouterr()
    info = site.release(["desk-q1", "desk-q2"], version="0.4.0")
    # The rest before one: refused.
    assert hubsense(site, "ota", "offer", str(info.release), "--rest") == 2
    assert "offered to no node yet" in capsys.readouterr().err
    # Offered to desk-q1 while it is off: the offer waits, retained, and so do the rest.
    a.stop()
    assert hubsense(site, "ota", "offer", str(info.release), "desk-q1") == 0
    eventually(lambda: node_state(site, "desk-q1")["update"], 20, "offered")
    assert hubsense(site, "ota", "offer", str(info.release), "--rest") == 2
    assert (f"not online on release {info.release} yet: desk-q1 (offered)"
            in capsys.readouterr().err)
    a.start()
    eventually(lambda: node_state(site, "desk-q1")["release"] == info.release, 60,
               "desk-q1 on the new release")
    update = node_state(site, "desk-q1")["update"]
    assert isinstance(update, dict)
    assert (update["release"], update["state"], update["version"]) == (info.release, "online",
                                                                        "0.4.0")
    assert node_state(site, "desk-q2")["release"] == 0, "the rest waits for staff"
    assert hubsense(site, "ota", "offer", str(info.release), "--rest") == 0
    assert "offered to desk-q2" in capsys.readouterr().out
    eventually(lambda: node_state(site, "desk-q2")["release"] == info.release, 60,
               "desk-q2 on the new release")
    assert hubsense(site, "ota", "status") == 0
    rows = {ln.split()[0]: ln.split() for ln in capsys.readouterr().out.splitlines()[1:]}
    for n in ("desk-q1", "desk-q2"):
        assert rows[n][1:6] == ["yes", "0.4.0", str(info.release), str(info.release), "online"]
    releases = staff(site, "/api/v1/releases").json()["data"]
    assert releases[0]["release"] == info.release
    assert releases[0]["nodes"] == {"desk-q1": "online", "desk-q2": "online"}
    assert a.exits == b.exits == [3, 3]  # into update mode, into the new firmware


def test_a_rotated_password_reaches_the_node_before_the_broker_changes_it(
        site: FleetSite, capsys: pytest.CaptureFixture[str]) -> None:
    node = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
    key = site.key("desk-q1")
    eventually(lambda: node_state(site, "desk-q1")["release"] == 0, 30, "on release 0")
    rec = Recorder(site.broker)
    try:
        assert hubsense(site, "node", "rotate", "desk-q1", "--wait", "60") == 0
        out = capsys.readouterr().out
        assert "password rotation 2 goes over the air first" in out
        assert "broker       reloaded (SIGHUP, no restart)" in out
        s = NodeKeys(site.settings.fleet.node_keys).load()["desk-q1"]
        assert (s.broker_rotation, s.node_rotation) == (2, 2)
        # The broker dropped the session of the old password; the node came back with the
        # new one at once, and nothing it queued was lost.
        node.set_inputs({3: True})
        rec.wait_for(lambda m: m.topic == topic("desk-q1", "in/3") and b'"present":true'
                     in m.payload, timeout=20, what="a reading after the switch")
    finally:
        rec.close()
    assert not login_works(site.broker.host, site.broker.port, "desk-q1", password(key, 1))
    assert login_works(site.broker.host, site.broker.port, "desk-q1", password(key, 2))
    # It never lost its way in: each login the broker refused (the new one before the
    # broker had it, the old one after) was followed by the other, which it took.
    mqtt = [ln for ln in node.output().splitlines() if ln.startswith("mqtt: ")]
    refused = [i for i, ln in enumerate(mqtt) if "connection refused, return code 5" in ln]
    assert 1 <= len(refused) <= 2, mqtt
    assert all(mqtt[i + 1].startswith("mqtt: connected") for i in refused), mqtt
    cfg = json.loads((node.workdir / "b" / "config.json").read_text())
    assert cfg["broker"]["rotation"] == 2 and "password" not in cfg["broker"]
    beats = [parse_heartbeat(m.payload) for m in rec.messages(topic("desk-q1", "heartbeat"))]
    assert beats and all(b.drops == 0 for b in beats)
