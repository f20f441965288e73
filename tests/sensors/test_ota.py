"""Over-the-air updates on the unix port: real bundles, the real API over HTTPS, a real
Mosquitto over TLS. Each node here was flashed with `hubsense node add --sim`'s bundle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.nodes import BundleNode
from hubsense.contract import UpdateState, parse_heartbeat
from hubsense.layout import Layout
from hubsense.manifest import read
from tests.conftest import eventually
from tests.sensors.conftest import Message, Recorder, topic
from tests.sensors.fleet import HEAP_KB_OTA, CutProxy, Site, site_fixture

pytestmark = pytest.mark.services


@pytest.fixture
def site(tmp_path: Path, layout: Layout) -> Iterator[Site]:
    yield from site_fixture(tmp_path, layout)


@pytest.fixture
def rec(site: Site) -> Iterator[Recorder]:
    r = Recorder(site.broker)
    yield r
    r.close()


def states(rec: Recorder, node: str, release: int) -> list[str]:
    """The update states a node reported for a release, in order."""
    out = []
    for m in rec.messages(topic(node, "update")):
        body = json.loads(m.payload)
        if body["release"] == release:
            out.append(body["state"])
    return out


def wait_state(rec: Recorder, node: str, release: int, state: UpdateState,
               timeout: float = 60) -> Message:
    return rec.wait_for(lambda m: m.topic == topic(node, "update")
                        and json.loads(m.payload) == {**json.loads(m.payload),
                                                      "release": release, "state": state.value},
                        timeout=timeout, what=f"{node} {state.value} on release {release}")


def heartbeat_on(rec: Recorder, node: str, fw: str, rel: int, timeout: float = 60) -> Message:
    return rec.wait_for(lambda m: m.topic == topic(node, "heartbeat")
                        and parse_heartbeat(m.payload).fw == fw
                        and parse_heartbeat(m.payload).rel == rel,
                        timeout=timeout, what=f"{node} beating on {fw} (release {rel})")


def offer(site: Site, node: str, release: int, version: str) -> None:
    from deploy.offers import FleetLink

    with FleetLink(site.settings, site.layout.site.id) as link:
        link.offer([node], release, version)


def test_a_node_updates_to_a_new_version_and_reports_it(site: Site, rec: Recorder) -> None:
    node = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
    heartbeat_on(rec, "desk-q1", "0.1.0", 0)
    info = site.release(["desk-q1"], version="0.2.0")
    offer(site, "desk-q1", info.release, info.version)
    heartbeat_on(rec, "desk-q1", "0.2.0", info.release)
    wait_state(rec, "desk-q1", info.release, UpdateState.ONLINE)
    assert states(rec, "desk-q1", info.release)[:4] == ["downloading", "verifying", "rebooting",
                                                        "online"]
    st = eventually(lambda: (s := node.ota_state()).get("result") and s, what="kept")
    assert (st["slot"], st["release"], st["result"]["state"]) == ("b", info.release, "online")
    assert "trial" not in st and "get" not in st
    # Two resets: into update mode, then into the new firmware; no crash, no MemoryError.
    assert node.exits == [3, 3] and "Error" not in node.output(), node.output()
    # Only what changed crossed the network: __init__.mpy (the version) and nothing else.
    assert "ota: 1 file(s) fetched" in node.output(), node.output()
    staged = read(site.settings.fleet.releases_dir / str(info.release) / "nodes" / "desk-q1" /
                  "manifest", site.key("desk-q1"))
    for f in staged.files:
        assert (node.workdir / "b" / f.path).read_bytes() == (
            site.settings.fleet.releases_dir / str(info.release) / (
                f"nodes/desk-q1/{f.path}" if f.path in ("config.json", "ca.der")
                else f"files/{f.path}")).read_bytes()


def test_bundle_layout(site: Site) -> None:
    node = site.add("desk-q1", start=False)
    names = sorted(p.relative_to(node.bundle).as_posix() for p in node.bundle.rglob("*")
                   if p.is_file())
    assert "main.py" in names and "otaboot.mpy" in names and "a/node.key" in names
