"""`hubsense api -c FILE`, the way operators start it: a real process, a real broker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from devstack.mosquitto import Mosquitto
from devstack.processes import Child, free_port
from hubsense.layout import Layout
from tests.api.conftest import Publisher, eventually, zone_state
from tests.conftest import EXAMPLE_LAYOUT, ROOT

pytestmark = pytest.mark.services


def test_hubsense_api_serves_live_state(tmp_path: Path, broker: Mosquitto,
                                        publisher: Publisher, layout: Layout) -> None:
    port = free_port()
    config = tmp_path / "api.toml"
    config.write_text(
        f'layout = "{EXAMPLE_LAYOUT}"\n[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\n'
        f'[api]\nport = {port}\nlanguage = "sv"\n'
        f'[api.mqtt]\nusername = "api"\npassword = "{broker.users.passwords["api"]}"\n')
    publisher.collector("online")
    publisher.zone(zone_state(layout, "quiet", occupied=1))
    api = Child("api", [sys.executable, "-m", "cli", "api", "-c", str(config)],
                tmp_path / "api.log", cwd=ROOT).start()
    try:
        def quiet_status() -> str | None:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/api/v1/zones/quiet", timeout=1)
            except httpx.HTTPError:
                return None
            return str(body.json()["status"]) if body.status_code == 200 else None

        assert eventually(lambda: quiet_status() == "free", 15, "quiet free via the CLI")
        site = httpx.get(f"http://127.0.0.1:{port}/api/v1/site").json()
        assert site["language"] == "sv"
    finally:
        # uvicorn re-raises the SIGTERM it handled, after a clean shutdown.
        assert api.stop() in (0, -15), api.tail()
        assert "Application shutdown complete" in api.tail()


def test_missing_api_credentials_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "api.toml"
    config.write_text(f'layout = "{EXAMPLE_LAYOUT}"\n[api]\nport = {free_port()}\n')
    done = subprocess.run([sys.executable, "-m", "cli", "api", "-c", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "api.mqtt.username and api.mqtt.password must be set" in done.stderr
