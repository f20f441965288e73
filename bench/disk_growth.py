"""Benchmark: how fast a site's InfluxDB grows, per 100 sensors and year.

    .venv/bin/python bench/disk_growth.py [--days 7] [--sensors 100]

A synthetic site of `--sensors` sensor inputs (desk PIRs, buzz zone radars and
microphones, a door) sends what the firmware sends — a heartbeat every 60 s
with every input re-published, and changes in between — through the
collector's own code (ingest, live state, points) into a real InfluxDB for
`--days` days of the hub model (devstack/model.py); then the rollups. The
database is compacted (TSM files, as a server settles after hours) and its
size on disk measured, raw and rollups apart, and scaled to 100 sensors and a
year. Baseline in the same run: the line protocol written (uncompressed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.ingest import Ingest
from collector.live import LiveState
from collector.metrics import Metrics
from collector.points import PointBuilder
from collector.topics import TopicTable
from devstack.influxdb import InfluxDB
from devstack.model import HubModel
from devstack.processes import free_port
from hubsense.contract import input_topic, node_topic
from hubsense.influx import InfluxV1
from hubsense.layout import Layout, Measure, parse_layout
from hubsense.measurements import ROLLUP_RP
from hubsense.settings import InfluxSettings, ReportSettings
from hubsense.state import SiteTracker
from reports.rollup import Rollup
from reports.versions import Versions

TZ = ZoneInfo("Europe/Stockholm")
HEARTBEAT_S = 60


def site(sensors: int) -> Layout:
    """Desk nodes of four PIRs (most sensors), buzz nodes of a radar and a microphone."""
    desk_nodes = max(1, (sensors * 4 // 5) // 4)
    buzz_nodes = max(1, (sensors - desk_nodes * 4 - 1) // 2)
    zones, desks, nodes = [], [], []
    zones.append({"id": "desks", "name": "Desks", "kind": "quiet_zone",
                  "capacity": desk_nodes * 4, "shape": [[0, 0], [1000, 0], [1000, 500], [0, 500]]})
    for b in range(buzz_nodes):
        zones.append({"id": f"buzz-{b}", "name": f"Buzz {b}", "kind": "buzz_zone",
                      "capacity": 20, "shape": [[b * 10, 500], [b * 10 + 10, 500],
                                                [b * 10 + 10, 600], [b * 10, 600]]})
        nodes.append({"id": f"buzz-{b}", "kind": "buzz", "heartbeat_s": HEARTBEAT_S,
                      "inputs": [{"n": 1, "measures": "count", "zone": f"buzz-{b}"},
                                 {"n": 2, "measures": "sound", "zone": f"buzz-{b}"}]})
    zones.append({"id": "entrance", "name": "Entrance", "kind": "entrance", "capacity": 50,
                  "shape": [[990, 590], [1000, 590], [1000, 600], [990, 600]]})
    for d in range(desk_nodes):
        ids = [f"d{d}-{i}" for i in range(4)]
        desks += [{"id": x, "zone": "desks", "position": [5 + (d * 4 + i) % 99 * 10,
                                                          5 + (d * 4 + i) // 99 * 10]}
                  for i, x in enumerate(ids)]
        nodes.append({"id": f"desk-{d}", "kind": "desk", "heartbeat_s": HEARTBEAT_S,
                      "inputs": [{"n": i + 1, "measures": "presence", "desk": x}
                                 for i, x in enumerate(ids)]})
    nodes.append({"id": "door", "kind": "entrance", "heartbeat_s": HEARTBEAT_S,
                  "inputs": [{"n": 1, "measures": "passage", "zone": "entrance"}]})
    return parse_layout({"version": 1, "effective_from": "2026-01-01",
                         "site": {"id": "bench", "name": "Bench", "timezone": "Europe/Stockholm",
                                  "width": 1000, "height": 600},
                         "zones": zones, "desks": desks, "nodes": nodes})


def fields(measure: Measure, value: object) -> dict[str, object]:
    if measure is Measure.PRESENCE:
        return {"present": value}
    if measure is Measure.COUNT:
        return {"count": value}
    if measure is Measure.SOUND:
        assert isinstance(value, float)
        return {"laeq": value, "lamax": round(value + 6.5, 1)}
    assert isinstance(value, tuple)
    return {"boot": "b007", "in": value[0], "out": value[1]}


def du(path: Path) -> int:
    return int(subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True,
                              check=True).stdout.split()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--sensors", type=int, default=100)
    args = ap.parse_args()
    layout = site(args.sensors)
    sensors = sum(len(n.inputs) for n in layout.nodes)
    work = Path(tempfile.mkdtemp(prefix="hubsense-disk-"))
    server = InfluxDB(work / "influxdb", free_port(), free_port(), compact_soon=True).start()
    try:
        settings = InfluxSettings(url=server.url)
        start = datetime(2026, 11, 2, tzinfo=TZ)  # a Monday
        end = start + timedelta(days=args.days)
        clock = [start.timestamp()]
        written = [0, 0]  # lines, bytes
        with InfluxV1(settings) as db:
            db.create_database()
            buf: list[str] = []

            def out(lines: list[str]) -> None:
                buf.extend(lines)
                if len(buf) >= 20_000:
                    body = "\n".join(buf)
                    db.write_lines(body)
                    written[0] += len(buf)
                    written[1] += len(body) + 1
                    buf.clear()

            points, metrics = PointBuilder(layout), Metrics()
            live = LiveState(SiteTracker(layout), points, metrics, lambda _t, _p: None, out,
                             lambda: clock[0], interval_s=HEARTBEAT_S, heartbeat_s=30)
            ingest = Ingest(TopicTable(layout), metrics, lambda: clock[0], points=points,
                            live=live)
            model = HubModel(layout, seed=1)
            seq = 0
            t0 = time.monotonic()
            when = start
            while when < end:
                clock[0] = when.timestamp()
                readings = model.readings(when)
                ts = int(clock[0] * 1000)
                for node in layout.nodes:
                    for inp in node.inputs:  # the firmware re-publishes every input
                        seq += 1
                        body = {"seq": seq % 2**31, "ts": ts,
                                **fields(inp.measures, readings[(node.id, inp.n)])}
                        out(ingest.handle(input_topic("bench", node.id, inp.n),
                                          json.dumps(body).encode()))
                    seq += 1
                    hb = {"seq": seq % 2**31, "ts": ts, "boot": "b007", "fw": "0.1.0",
                          "uptime_s": int(clock[0] - start.timestamp()), "heap_free": 3200,
                          "drops": 0}
                    out(ingest.handle(node_topic("bench", node.id, "heartbeat"),
                                      json.dumps(hb).encode()))
                live.evaluate()
                live.beat()
                when += timedelta(seconds=HEARTBEAT_S)
            out([])
            if buf:
                db.write_lines("\n".join(buf))
                written[0] += len(buf)
                written[1] += len("\n".join(buf)) + 1
            fed = time.monotonic() - t0
            cfg = ReportSettings()
            Rollup(db, Versions.of(layout), cfg).run(start.date(), (end - timedelta(days=1)).date())
        # Let InfluxDB write its cache into compacted TSM files, then measure.
        data = work / "influxdb" / "data" / "hubsense"
        last, stable_since = -1, time.monotonic()
        while time.monotonic() - stable_since < 15:
            size = du(data) + du(work / "influxdb" / "wal")
            if size != last:
                last, stable_since = size, time.monotonic()
            time.sleep(1)
        raw = du(data / "autogen")
        rollups = du(data / ROLLUP_RP) if (data / ROLLUP_RP).exists() else 0
        scale = 100 / sensors * 365 / args.days
        print(f"{sensors} sensors, {args.days} days, {written[0]:,} points "
              f"({written[1] / 1e6:.1f} MB of line protocol) in {fed:.0f} s")
        print(f"on disk: raw {raw / 1e6:.1f} MB, rollups {rollups / 1e6:.2f} MB "
              f"({written[1] / max(raw, 1):.1f}x smaller than the line protocol)")
        print(f"per 100 sensors and year: raw {raw * scale / 1e9:.2f} GB, "
              f"rollups {rollups * scale / 1e6:.0f} MB; "
              f"{written[0] * scale / 1e6:.0f} million points")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
