"""The collector as users run it: `hubsense collector -c FILE`, stopped by SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.processes import Child
from hubsense.contract import ROOT
from hubsense.influx import InfluxV1
from hubsense.settings import Settings
from tests.collector.conftest import SITE, NodeSim, count, wait_for

pytestmark = pytest.mark.services


def write_toml(s: Settings, path: Path) -> Path:
    """Write the collector's settings as the TOML file a user would."""
    c = s.collector
    assert c.mqtt is not None
    path.write_text(f"""layout = "{s.layout}"

[mqtt]
host = "{s.mqtt.host}"
port = {s.mqtt.port}

[influx]
url = "{s.influx.url}"
database = "{s.influx.database}"

[collector]
flush_interval_s = {c.flush_interval_s}
evaluate_interval_s = {c.evaluate_interval_s}
spool_dir = "{c.spool_dir}"

[collector.mqtt]
username = "{c.mqtt.username}"
password = "{c.mqtt.password.get_secret_value()}"
""")
    return path


def start_collector(settings: Settings, tmp_path: Path, name: str = "collector") -> Child:
    conf = write_toml(settings, tmp_path / f"{name}.toml")
    exe = Path(sys.executable).parent / "hubsense"
    return Child(name, [str(exe), "collector", "-c", str(conf)], tmp_path / f"{name}.log",
                 env={"HUBSENSE_CONFIG": ""}, cwd=tmp_path).start()


def test_runs_from_toml_and_stops_cleanly_on_sigterm(
        collector_settings: Settings, tester: NodeSim, influx: InfluxV1,
        tmp_path: Path) -> None:
    proc = start_collector(collector_settings, tmp_path)
    try:
        wait_for(lambda: tester.get(f"{ROOT}/{SITE}/collector/status") == b"online",
                 timeout=20, what="collector online")
        tester.observe("meet-a", 1, count=4)
        wait_for(lambda: count(influx, "zone_count") == 1, what="point written")
        proc.signal(signal.SIGTERM)
        assert proc.proc is not None and proc.proc.wait(15) == 0, proc.tail()
        # A clean stop says so; it does not leave a stale "online" behind.
        wait_for(lambda: tester.get(f"{ROOT}/{SITE}/collector/status") == b"offline",
                 what="collector offline")
        assert "Traceback" not in proc.tail(200)
    finally:
        proc.stop()


def test_missing_credentials_are_named(collector_settings: Settings, tmp_path: Path) -> None:
    conf = write_toml(collector_settings, tmp_path / "c.toml")
    conf.write_text(conf.read_text().split("[collector.mqtt]")[0])
    exe = Path(sys.executable).parent / "hubsense"
    r = subprocess.run([str(exe), "collector", "-c", str(tmp_path / "c.toml")],
                       capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert r.returncode == 2 and "collector.mqtt.username" in r.stderr
