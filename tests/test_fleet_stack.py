"""Issue 12's fleet story on the local stack, each step one command: a node is added and
flashed (its bundle on the unix port), updated over the air twice (the second rolled back),
and its desk moved to another zone live. Real Mosquitto, InfluxDB, collector and API, as
`hubsense up` runs them; the node downloads from the stack's API (plain HTTP on loopback)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from cli.main import main
from deploy.firmware import SENSORS_DIR
from devstack.nodes import BundleNode
from devstack.processes import free_port
from devstack.runner import Stack, StackOptions
from tests.conftest import EXAMPLE_LAYOUT, eventually

pytestmark = pytest.mark.services


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Stack]:
    layout = tmp_path / "site" / "layout.yaml"  # `layout apply` writes here, not in the repo
    layout.parent.mkdir()
    shutil.copyfile(EXAMPLE_LAYOUT, layout)
    opts = StackOptions(workdir=tmp_path / "stack", layout=layout, mqtt_port=free_port(),
                        influx_port=free_port(), influx_rpc_port=free_port(),
                        api_port=free_port(), nodes=False)
    stack = Stack(opts)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def source(root: Path, version: str, broken: bool = False) -> Path:
    src = root / f"src-{version}"
    shutil.copytree(SENSORS_DIR, src)
    init = src / "hubsense_node" / "__init__.py"
    init.write_text(init.read_text().replace('FW = "0.1.0"', f'FW = "{version}"'))
    if broken:
        app = src / "hubsense_node" / "app.py"
        app.write_text(app.read_text().replace("    # Order matters on a 32 KB heap",
                                               "    raise RuntimeError('a bug at boot')\n"
                                               "    # Order matters on a 32 KB heap"))
    return src


def test_add_flash_update_twice_and_move_a_desk(local: Stack, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    conf = ["-c", str(local.config)]
    api = f"http://127.0.0.1:{local.opts.api_port}"
    staff = {"Authorization": f"Bearer {local.staff_token}"}

    def desk_q1() -> dict[str, object]:
        nodes = httpx.get(f"{api}/api/v1/nodes", headers=staff, timeout=10).json()["data"]
        found: dict[str, object] = next(n for n in nodes if n["id"] == "desk-q1")
        return found

    def update() -> tuple[object, object]:
        u = desk_q1()["update"]
        return (u["release"], u["state"]) if isinstance(u, dict) else (None, None)

    # Added: its login (the broker reloaded, not restarted) and its bundle.
    inputs = tmp_path / "board" / "inputs"
    assert main(["node", "add", "desk-q1", "--sim", str(inputs), *conf]) == 0
    assert "reloaded (SIGHUP, no restart)" in capsys.readouterr().out
    bundle = local.opts.workdir / "fleet" / "bundles" / "desk-q1"
    # Flashed: the bundle, as it is, on the unix port.
    node = BundleNode(bundle, tmp_path / "board", "64K").start()
    try:
        node.set_inputs({1: True})
        eventually(lambda: desk_q1()["release"] == 0, 30, "desk-q1 online on release 0")
        # Updated: release 1, firmware 0.2.0.
        assert main(["ota", "release", "--node", "desk-q1", "--source",
                     str(source(tmp_path, "0.2.0")), *conf]) == 0
        assert main(["ota", "offer", "1", "desk-q1", *conf]) == 0
        eventually(lambda: desk_q1()["fw"] == "0.2.0" and desk_q1()["release"] == 1, 60,
                   "desk-q1 on firmware 0.2.0")
        assert update() == (1, "online")
        # Updated again: release 2 crashes at boot, and rolls back by itself.
        assert main(["ota", "release", "--node", "desk-q1", "--source",
                     str(source(tmp_path, "0.3.0", broken=True)), *conf]) == 0
        assert main(["ota", "offer", "2", "desk-q1", *conf]) == 0
        eventually(lambda: update() == (2, "rolled_back"), 60, "release 2 rolled back")
        eventually(lambda: desk_q1()["fw"] == "0.2.0" and desk_q1()["release"] == 1, 30,
                   "desk-q1 back on 0.2.0")
        # Its desk (q-01, input 1) moves to the lounge, live: no reflash, no restart.
        layout = local.opts.layout
        data = yaml.safe_load(layout.read_text())
        [shape] = [z["shape"] for z in data["zones"] if z["id"] == "lounge"]
        middle = [sum(p[i] for p in shape) // len(shape) for i in (0, 1)]
        for d in data["desks"]:
            if d["id"] == "q-01":
                d["zone"], d["position"] = "lounge", middle
        moved = tmp_path / "moved.yaml"
        moved.write_text(yaml.safe_dump(data, sort_keys=False))
        assert main(["layout", "apply", str(moved), *conf]) == 0

        def q01() -> object:
            desks = httpx.get(f"{api}/api/v1/desks", timeout=10).json()["data"]
            return next(d for d in desks if d["id"] == "q-01")

        eventually(lambda: q01()["zone"] == "lounge" and q01()["status"] == "occupied", 30,
                   "q-01 in the lounge, occupied as desk-q1 sees it")
        assert node.exits == [3, 3, 3, 3, 3]  # two updates: update mode, trial; the crash
    finally:
        node.stop()
