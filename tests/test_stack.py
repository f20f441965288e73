"""`hubsense up` refuses a taken port clearly, before starting anything."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from hubsense.stack.processes import free_port
from tests.conftest import ROOT


def test_up_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "hubsense.cli", "up", "--workdir", str(tmp_path),
             "--mqtt-port", str(free_port()), "--influx-port", str(port),
             "--influx-rpc-port", str(free_port()), "--api-port", str(free_port())],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"127.0.0.1:{port} is already in use" in r.stderr
    assert "--influx-port" in r.stderr
    assert not (tmp_path / "mosquitto").exists()  # nothing was started
