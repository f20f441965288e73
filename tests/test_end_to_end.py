"""The walking skeleton, all real: a MicroPython node's desk change reaches the API.

MicroPython unix port (the actual firmware) → Mosquitto → collector → InfluxDB
and retained state → API, each a separate process started the way
`hubsense up` starts them, on free ports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.nodes import MicroNode
from devstack.runner import HOST, Stack
from hubsense.influx import InfluxV1
from hubsense.settings import InfluxSettings
from tests.conftest import eventually

pytestmark = pytest.mark.services

def _zone(api: str, zone_id: str) -> dict[str, Any]:
    body = httpx.get(f"{api}/api/v1/zones", timeout=5).json()
    return next(z for z in body["data"] if z["id"] == zone_id)


def test_desk_change_reaches_api_and_influxdb(stack: Stack, tmp_path: Path) -> None:
    api = f"http://{HOST}:{stack.opts.api_port}"
    site = stack.layout.site.id
    # Before any node speaks, the quiet zone is unknown, never free.
    assert _zone(api, "quiet")["status"] == "unknown"

    nodes = [
        MicroNode(tmp_path / node_id, node_id, site, HOST, stack.opts.mqtt_port,
                  stack.users.passwords[node_id], kind="desk", inputs=4, heartbeat_s=30)
        for node_id in ("desk-q1", "desk-q2")
    ]
    try:
        for node in nodes:
            node.set_inputs({1: False, 2: False, 3: False, 4: False})
            node.start()
        free = eventually(lambda: (z := _zone(api, "quiet"))["desks_free"] == 8 and z,
                          timeout=20, what="all eight quiet desks free")
        assert free["status"] == "free" and free["occupied"] == 0 and not free["stale"]

        nodes[0].set_inputs({1: True})  # someone sits down at q-01
        busy = eventually(lambda: (z := _zone(api, "quiet"))["occupied"] == 1 and z,
                          timeout=20, what="q-01 occupied on the API")
        assert busy["desks_free"] == 7 and busy["capacity"] == 8
        desks = httpx.get(f"{api}/api/v1/desks", params={"zone": "quiet", "free": "false"},
                          timeout=5).json()
        assert [d["id"] for d in desks["data"]] == ["q-01"]

        influx = InfluxV1(InfluxSettings(url=stack.influx.url, database="hubsense"))
        with influx:
            def q01(present: bool) -> list[Any]:
                return [
                    row for s in influx.query(
                        "SELECT present, node FROM presence WHERE desk = $desk", {"desk": "q-01"})
                    for row in s.rows() if row["present"] is present
                ]
            [point] = eventually(lambda: q01(True), timeout=20,
                                 what="q-01 occupied point in InfluxDB")
            assert point["node"] == "desk-q1"

            nodes[0].set_inputs({1: False})  # and leaves again
            eventually(lambda: _zone(api, "quiet")["desks_free"] == 8, timeout=20,
                       what="q-01 free again")
            eventually(lambda: q01(False), timeout=20,
                       what="q-01 free point in InfluxDB")

        # A node that dies (power cut): its desks become unknown, never stay free.
        nodes[1].kill()
        stale = eventually(lambda: (z := _zone(api, "quiet"))["stale"] and z,
                           timeout=20, what="quiet zone stale after desk-q2 died")
        assert stale["desks_unknown"] == 4 and stale["desks_free"] == 4
    finally:
        for node in nodes:
            node.stop()
