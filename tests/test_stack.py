"""`hubsense up`: the demo stack starts, refuses taken ports, and stops without leftovers."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from devstack.processes import free_port
from tests.conftest import ROOT, eventually


def test_up_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "cli", "up", "--workdir", str(tmp_path),
             "--mqtt-port", str(free_port()), "--influx-port", str(port),
             "--influx-rpc-port", str(free_port()), "--api-port", str(free_port())],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"127.0.0.1:{port} is already in use" in r.stderr
    assert "--influx-port" in r.stderr
    assert not (tmp_path / "mosquitto").exists()  # nothing was started


def _processes_under(path: Path) -> list[str]:
    """Processes whose command line or working directory lies under `path`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if str(path) in cmd or cwd.startswith(str(path)):
            found.append(f"{proc.name}: {cmd}")
    return found


@pytest.mark.services
def test_up_runs_the_demo_and_ctrl_c_leaves_nothing_behind(tmp_path: Path) -> None:
    api_port = free_port()
    work = tmp_path / "stack"
    up = subprocess.Popen(
        [sys.executable, "-m", "cli", "up", "--workdir", str(work),
         "--mqtt-port", str(free_port()), "--influx-port", str(free_port()),
         "--influx-rpc-port", str(free_port()), "--api-port", str(api_port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    node: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = None
    rest: list[str] = []
    try:
        def some_zone_known() -> bool:
            try:
                zones = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/zones", timeout=2).json()
            except (httpx.HTTPError, ValueError):
                return False
            return any(z["status"] != "unknown" for z in zones["data"])

        # The history comes first (about 20 s on a quiet machine), then the live nodes.
        deadline = time.monotonic() + 120
        while not some_zone_known():
            assert up.poll() is None, up.communicate()[0]
            assert time.monotonic() < deadline, "no simulated node reached the API in 120 s"
            time.sleep(0.2)
        assert _processes_under(work), "the stack's processes should be running"
        # The report command the banner suggests runs as printed.
        assert up.stdout is not None
        banner = []
        for line in up.stdout:
            banner.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        suggested = next(line.split()[1:] for line in banner
                         if line.strip().startswith("reports "))
        assert suggested[0].endswith("hubsense") and suggested[1:3] == ["report", "visits"]
        report = subprocess.run([sys.executable, "-m", "cli", *suggested[1:]],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert report.returncode == 0, report.stderr
        # Eight weeks of history, every week with visits.
        assert "weeks of history" in "".join(banner)
        total = re.search(r"^total (\d+)", report.stdout, re.MULTILINE)
        assert total and int(total[1]) > 500, report.stdout
        # The staff token it prints works, and the rollup job keeps reports current.
        token = tomllib.loads((work / "hubsense.toml").read_text())["api"]["tokens"][0]["token"]
        nodes = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/nodes", timeout=5,
                          headers={"Authorization": f"Bearer {token}"})
        assert nodes.status_code == 200 and nodes.json()["count"] > 0, nodes.text
        # The demo's staff account from the banner signs in to the console.
        login = re.search(r"user (\S+), password (\S+)", "".join(banner))
        assert login, "".join(banner)
        session = httpx.post(f"http://127.0.0.1:{api_port}/staff/api/session", timeout=10,
                             json={"username": login[1], "password": login[2]})
        assert session.status_code == 200 and "events:write" in session.json()["scopes"]
        rollup_log = work / "logs" / "rollup.log"
        while "rollups current" not in (rollup_log.read_text() if rollup_log.exists() else ""):
            assert time.monotonic() < deadline + 30, "the rollup job never caught up"
            time.sleep(0.2)
        # The banner's fleet line, as printed: desk-q1 is the user's now, the demo lets go
        # of it, and its bundle, run as `node add` says, comes online on release 0.
        reader = threading.Thread(target=lambda: rest.extend(up.stdout or ()), daemon=True)
        reader.start()
        add = next(line.split()[1:] for line in banner if line.strip().startswith("fleet "))
        assert add[1:4] == ["node", "add", "desk-q1"], add
        added = subprocess.run([sys.executable, "-m", "cli", *add[1:]], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
        assert added.returncode == 0, added.stderr
        eventually(lambda: "desk-q1 is provisioned now" in "".join(rest), 20,
                   "the demo letting go of desk-q1")
        run_it = next(ln for ln in added.stdout.splitlines() if ln.strip().startswith("run it"))
        node = subprocess.Popen(["bash", "-c", run_it.strip().removeprefix("run it").strip()],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

        def desk_q1() -> bool:
            got = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/nodes", timeout=5,
                            headers={"Authorization": f"Bearer {token}"}).json()["data"]
            return any(n["id"] == "desk-q1" and n["online"] and n["release"] == 0 for n in got)

        eventually(desk_q1, 30, "desk-q1 online as a bundle, on release 0")
    finally:
        if node is not None:
            os.killpg(node.pid, signal.SIGKILL)
            node.wait(10)
        up.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal does
        up.wait(60)
        if reader is not None:
            reader.join(10)
        if up.stdout is not None:
            up.stdout.close()
    out = "".join(rest)
    assert up.returncode == 0, out
    out = "".join(banner) + out
    assert "visitor screen   http://127.0.0.1:" in out
    assert f"staff API token  {token}" in out
    deadline = time.monotonic() + 10
    while _processes_under(work) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_under(work) == []
