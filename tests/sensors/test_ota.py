"""Over-the-air updates on the unix port: real bundles, the real API over HTTPS, a real
Mosquitto over TLS. Each node here was flashed with `hubsense node add --sim`'s bundle."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.fleet import FleetSite as Site
from hubsense.contract import UpdateState, parse_heartbeat
from hubsense.layout import Layout
from hubsense.manifest import read
from tests.conftest import eventually
from tests.sensors.conftest import Message, Recorder, topic
from tests.sensors.fleet import HEAP_KB_OTA, CutProxy, site_fixture

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


def test_a_node_updates_to_a_new_version_and_reports_it(site: Site, rec: Recorder) -> None:
    node = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
    heartbeat_on(rec, "desk-q1", "0.1.0", 0)
    info = site.release(["desk-q1"], version="0.2.0")
    site.offer(["desk-q1"], info)
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


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_tampered_file_is_refused_and_the_old_version_keeps_running(site: Site,
                                                                      rec: Recorder) -> None:
    node = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
    heartbeat_on(rec, "desk-q1", "0.1.0", 0)
    info = site.release(["desk-q1"], version="0.2.0")
    # The one file the node downloads (the others it has), changed on the server.
    _flip(site.settings.fleet.releases_dir / str(info.release) / "files" / "hubsense_node" /
          "__init__.mpy")
    site.offer(["desk-q1"], info)
    refused = wait_state(rec, "desk-q1", info.release, UpdateState.REFUSED)
    assert "__init__.mpy: SHA-256 differs" in json.loads(refused.payload)["why"]
    heartbeat_on(rec, "desk-q1", "0.1.0", 0, timeout=30)
    st = node.ota_state()
    assert (st["slot"], st["release"], st["bad"]) == ("a", 0, info.release)
    assert "trial" not in st
    # Offered again, it is not taken again: a refused release stays refused.
    site.offer(["desk-q1"], info)
    time.sleep(3)
    assert states(rec, "desk-q1", info.release).count("downloading") == 1
    assert node.exits == [3, 3] and "Traceback" not in node.output()


def test_a_wrong_tag_is_refused_and_the_old_version_keeps_running(site: Site,
                                                                  rec: Recorder) -> None:
    node = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
    heartbeat_on(rec, "desk-q1", "0.1.0", 0)
    info = site.release(["desk-q1"], version="0.2.0")
    manifest = (site.settings.fleet.releases_dir / str(info.release) / "nodes" / "desk-q1" /
                "manifest")
    # Signed with another node's key: what a stolen node's key can make.
    from hubsense.manifest import read
    from hubsense.nodekey import new_key

    manifest.write_bytes(read(manifest).signed(new_key()))
    site.offer(["desk-q1"], info)
    refused = wait_state(rec, "desk-q1", info.release, UpdateState.REFUSED)
    assert json.loads(refused.payload)["why"] == "the manifest's tag is wrong"
    heartbeat_on(rec, "desk-q1", "0.1.0", 0, timeout=30)
    assert node.ota_state()["bad"] == info.release
    assert not (node.workdir / "b" / "manifest").exists(), "nothing of it was staged"


def test_a_firmware_that_crashes_at_boot_rolls_back(site: Site, rec: Recorder) -> None:
    node = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
    heartbeat_on(rec, "desk-q1", "0.1.0", 0)
    info = site.release(["desk-q1"], version="0.3.0", patch={"hubsense_node/app.py": (
        "    # Order matters on a 32 KB heap", "    raise RuntimeError('a bug at boot')\n"
        "    # Order matters on a 32 KB heap")})
    site.offer(["desk-q1"], info)
    back = wait_state(rec, "desk-q1", info.release, UpdateState.ROLLED_BACK)
    assert json.loads(back.payload)["why"] == "reset before it came online"
    heartbeat_on(rec, "desk-q1", "0.1.0", 0, timeout=30)
    assert "RuntimeError('a bug at boot'" in node.output()
    st = node.ota_state()
    assert (st["slot"], st["release"], st["bad"]) == ("a", 0, info.release)
    # Into update mode, into the trial, the trial's failure: a reset each; then it runs.
    assert node.exits == [3, 3, 3] and node.alive()


def test_a_firmware_that_never_comes_online_rolls_back_at_its_bound(site: Site,
                                                                    rec: Recorder) -> None:
    node = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
    heartbeat_on(rec, "desk-q1", "0.1.0", 0)
    site.settings.fleet.rollback_s = 10
    info = site.release(["desk-q1"], version="0.3.1", patch={"hubsense_node/mqtt.py": (
        '        """Connect, serve, and reconnect forever."""',
        '        """Connect, serve, and reconnect forever."""\n'
        '        await asyncio.sleep(3600)  # a bug: it never connects')})
    site.offer(["desk-q1"], info)
    wait_state(rec, "desk-q1", info.release, UpdateState.REBOOTING)
    back = wait_state(rec, "desk-q1", info.release, UpdateState.ROLLED_BACK, timeout=40)
    assert json.loads(back.payload)["why"] == "not online within 10 s"
    heartbeat_on(rec, "desk-q1", "0.1.0", 0, timeout=30)
    assert node.ota_state()["bad"] == info.release


def test_a_download_cut_halfway_resumes(site: Site, rec: Recorder) -> None:
    # The node downloads through a relay that cuts the first connection partway into
    # the one large file the release adds (about 12 KB, sent in 2 KB pieces); the TLS
    # connection dies with it, and the node asks for the rest with Range.
    proxy = CutProxy((site.broker.host, site.api_port), after=9000)
    site.settings.fleet.api_url = f"https://{site.broker.host}:{proxy.port}"
    try:
        node = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
        heartbeat_on(rec, "desk-q1", "0.1.0", 0)
        info = site.release(["desk-q1"], version="0.2.1", patch={"hubsense_node/pad.py": (
            "", 'BLOB = b"%s"\n' % ("0123456789abcdef" * 750))})
        site.offer(["desk-q1"], info)
        heartbeat_on(rec, "desk-q1", "0.2.1", info.release)
    finally:
        proxy.close()
    assert proxy.cut == 1, proxy.passed
    out = node.output()
    assert "ota: download failed (1 of 6)" in out, out
    assert "ota: resuming /api/v1/ota/1/files/hubsense_node/pad.mpy at byte" in out, out
    # __init__.mpy came whole before the cut and was kept; pad.mpy's first 2 KB pieces too.
    assert "ota: 1 file(s) fetched" in out, out
    staged = node.workdir / "b" / "hubsense_node" / "pad.mpy"
    assert staged.read_bytes() == (site.settings.fleet.releases_dir / str(info.release) /
                                   "files" / "hubsense_node" / "pad.mpy").read_bytes()
    assert not list((node.workdir / "b").rglob("*.part"))


def test_layout_settings_reach_a_node_over_the_air(site: Site, rec: Recorder,
                                                   layout: Layout) -> None:
    node = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
    heartbeat_on(rec, "desk-q1", "0.1.0", 0)
    desk = layout.node("desk-q1")
    assert desk is not None and desk.heartbeat_s == 30
    moved = desk.model_copy(update={"heartbeat_s": 5, "inputs": [
        i.model_copy(update={"hold_s": 120}) for i in desk.inputs]})
    changed = Layout.model_validate({**layout.model_dump(), "nodes": [
        (moved if n.id == "desk-q1" else n).model_dump() for n in layout.nodes]})
    info = site.release(["desk-q1"], layout=changed)
    site.offer(["desk-q1"], info)
    first = heartbeat_on(rec, "desk-q1", "0.1.0", info.release)
    boot = parse_heartbeat(first.payload).boot
    rec.wait_for(lambda m: m.topic == topic("desk-q1", "heartbeat")
                 and parse_heartbeat(m.payload).boot == boot
                 and parse_heartbeat(m.payload).uptime_s >= 5, timeout=9,
                 what="a heartbeat 5 s later: the new interval")
    cfg = json.loads((node.workdir / "b" / "config.json").read_text())
    assert cfg["heartbeat_s"] == 5 and {i["hold_s"] for i in cfg["inputs"]} == {120}
    assert "ota: 1 file(s) fetched" in node.output()  # config.json: the firmware was there


def test_a_node_updates_through_the_shipped_proxy(tmp_path: Path, layout: Layout) -> None:
    """As deployed: the node's HTTPS ends at Caddy with deploy/caddy/Caddyfile (the
    site's certificate), which passes the node's login and Range to the API behind it."""
    import shutil

    from devstack.processes import Child, free_port, tcp_open, wait_until
    from tests.conftest import ADMINS, EXAMPLE_LAYOUT, ROOT

    exe = shutil.which("caddy")
    if exe is None:
        pytest.fail("caddy not found: apt-get install -y caddy")
    site = Site(tmp_path, layout, EXAMPLE_LAYOUT, admins=ADMINS)
    https = free_port()
    env = {"HUBSENSE_HOST": site.broker.host, "HUBSENSE_HTTPS_PORT": str(https),
           "HUBSENSE_HTTP_PORT": str(free_port()), "HUBSENSE_TLS_DIR": str(site.broker.tls.dir),
           "HUBSENSE_API": f"127.0.0.1:{site.api_port}",
           "HUBSENSE_GRAFANA": f"127.0.0.1:{free_port()}", "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    caddy = Child("caddy", [exe, "run", "--config", str(ROOT / "deploy" / "caddy" / "Caddyfile"),
                            "--adapter", "caddyfile"], tmp_path / "caddy.log", env=env).start()
    rec = None
    try:
        site.start_api(tls=False)
        wait_until(lambda: tcp_open("127.0.0.1", https), 20, "caddy", caddy.alive)
        site.settings.fleet.api_url = f"https://{site.broker.host}:{https}"
        rec = Recorder(site.broker)
        node = site.add("desk-q1", heapsize=f"{HEAP_KB_OTA}K")
        heartbeat_on(rec, "desk-q1", "0.1.0", 0)
        info = site.release(["desk-q1"], version="0.2.2")
        site.offer(["desk-q1"], info)
        heartbeat_on(rec, "desk-q1", "0.2.2", info.release)
        assert "ota: 1 file(s) fetched" in node.output(), node.output()
    finally:
        if rec is not None:
            rec.close()
        site.stop()
        caddy.stop()
