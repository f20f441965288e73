"""A desk moves to another zone while everything runs: `hubsense layout apply`, taken by
the collector and the API without a restart, no message lost or tagged by the wrong
version, and the earlier version kept for comparisons (real broker, InfluxDB, API)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from collector.service import Collector
from devstack.mosquitto import Mosquitto
from devstack.processes import free_port
from hubsense.contract import input_topic
from hubsense.influx import InfluxV1
from hubsense.layout import load_layout
from hubsense.layouts import versions_dir
from hubsense.settings import ApiSettings, Credentials, Settings
from tests.api.conftest import start_api
from tests.collector.conftest import SITE, NodeSim, wait_for
from tests.conftest import EXAMPLE_LAYOUT, ROOT

pytestmark = pytest.mark.services

DESK, NODE, N = "q-05", "desk-q2", 1  # desk-q2's input 1 watches q-05


def moved(src: Path, dest: Path) -> Path:
    """The layout with desk q-05 moved from the quiet zone to the lounge."""
    data = yaml.safe_load(src.read_text())
    for d in data["desks"]:
        if d["id"] == DESK:
            d["zone"], d["position"] = "lounge", [700, 500]
    dest.write_text(yaml.safe_dump(data, sort_keys=False))
    return dest


def test_a_desk_moves_zone_live(collector_settings: Settings, broker: Mosquitto,
                                tester: NodeSim, influx: InfluxV1, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    layout_file = site / "layout.yaml"
    shutil.copyfile(EXAMPLE_LAYOUT, layout_file)
    settings = collector_settings.model_copy(update={"layout": layout_file,
                                                     "layout_watch_s": 0.2})
    api_login = Credentials(username="api", password=broker.users.passwords["api"])
    api_conf = settings.model_copy(update={"api": ApiSettings(port=free_port(),
                                                              mqtt=api_login)})
    conf = tmp_path / "hubsense.toml"
    conf.write_text(f'layout = "{layout_file}"\n[influx]\nurl = "{influx.cfg.url}"\n'
                    f'database = "{influx.cfg.database}"\n')
    collector = Collector(settings).start()
    api = start_api(api_conf, load_layout(layout_file))
    try:
        t0 = int(time.time() * 1000) - 60_000
        seq = iter(range(1, 10_000))

        def present(ts: int) -> None:
            tester.publish(input_topic(SITE, NODE, N),
                           json.dumps({"seq": next(seq), "ts": ts, "present": True}))

        present(t0)
        wait_for(lambda: (z := tester.state("zone", "quiet")) and z["desks_total"] == 8,
                 what="quiet with its eight desks")
        done = subprocess.run([sys.executable, "-m", "cli", "layout", "apply",
                               str(moved(layout_file, tmp_path / "new.yaml")), "-c", str(conf)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert f"desk {DESK} moved from quiet to lounge" in done.stdout
        # Messages keep coming while the services take it.
        for i in range(1, 40):
            present(t0 + i * 1000)
            time.sleep(0.02)
        wait_for(lambda: (z := tester.state("zone", "lounge")) and z["desks_total"] == 1,
                 what="the lounge with the moved desk")
        assert tester.state("zone", "quiet")["desks_total"] == 7  # type: ignore[index]
        site_plan = httpx.get(f"{api.url}/api/v1/site").json()
        assert next(d for d in site_plan["desks"] if d["id"] == DESK)["zone"] == "lounge"
        wait_for(lambda: {z["id"]: z for z in httpx.get(
            f"{api.url}/api/v1/zones").json()["data"]}["lounge"]["desks_total"] == 1,
            what="the API with the new layout")
        # Every message written once, each tagged by the version in force when it came.
        rows = wait_for(lambda: (s := influx.query(
            'SELECT "present" FROM presence WHERE desk = $d GROUP BY zone', {"d": DESK}))
            and sum(len(x.values) for x in s) == 40 and s, what="all 40 points")
        by_zone = {s.tags["zone"]: len(s.values) for s in rows}
        assert set(by_zone) == {"quiet", "lounge"} and by_zone["quiet"] >= 1
        assert by_zone["lounge"] >= 30
        # The earlier version is kept, and found by comparisons on their own.
        assert [p.name for p in versions_dir(layout_file).iterdir()] == ["layout-v1.yaml"]
        assert load_layout(layout_file).version == 2
    finally:
        api.stop()
        collector.stop()
