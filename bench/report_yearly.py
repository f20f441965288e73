"""Benchmark: a year of 500 desks in a real InfluxDB, rolled up, then the yearly report.

    .venv/bin/python bench/report_yearly.py [--desks 500] [--days 365]

Starts its own InfluxDB (free ports, temporary directory), writes a year of
raw desk and zone state changes and door totals in the collector's schema
(rendered by collector.points), rolls it up with reports.rollup, then times the
yearly utilization report (and the yearly visits report). Target: < 2 s.
Baseline, in the same run: the rollup pass itself, which computes the same
durations from the raw series as a report without rollups would.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.points import PointBuilder
from devstack.influxdb import InfluxDB
from devstack.processes import free_port
from hubsense.contract import Observation, ObservationPayload
from hubsense.influx import InfluxV1
from hubsense.layout import Layout, Measure, ZoneKind, parse_layout
from hubsense.settings import InfluxSettings, ReportSettings
from hubsense.state import DeskState, DeskStatus, ZoneState, ZoneStatus
from reports.hours import Period
from reports.rollup import Rollup
from reports.utilization import utilization
from reports.visits import visits

TZ = ZoneInfo("Europe/Stockholm")
PER_ZONE = 20


def big_layout(desks: int) -> Layout:
    zones = (desks + PER_ZONE - 1) // PER_ZONE
    return parse_layout({
        "site": {"id": "bench", "name": "Bench hub", "width": 1000, "height": 1000},
        "zones": [{"id": f"z{z:02d}", "name": f"Zone {z}", "kind": "desk_area",
                   "capacity": PER_ZONE, "shape": [[0, 0], [1, 0], [1, 1]]}
                  for z in range(zones)] +
                 [{"id": "entrance", "name": "Entrance", "kind": "entrance", "capacity": 50,
                   "shape": [[0, 0], [1, 0], [1, 1]]}],
        "desks": [{"id": f"d{i:03d}", "zone": f"z{i // PER_ZONE:02d}", "position": [0, 0]}
                  for i in range(desks)],
        "nodes": [{"id": "door-1", "kind": "entrance",
                   "inputs": [{"n": 1, "measures": "passage", "zone": "entrance"}]}],
    })


def ms(d: date, hour: float) -> int:
    base = datetime(d.year, d.month, d.day, tzinfo=TZ)
    return int(base.timestamp() * 1000 + hour * 3_600_000)


def day_lines(lb: PointBuilder, layout: Layout, d: date, rng: random.Random,
              boot: str) -> list[str]:
    """A working day: desks arrive, lunch, leave; zones follow; the door counts."""
    changes: list[tuple[int, str, str, DeskStatus]] = []
    for desk in layout.desks:
        if rng.random() < 0.35:  # this desk stays empty today
            continue
        arrive, leave = rng.uniform(7.5, 10), rng.uniform(15, 18.5)
        lunch = rng.uniform(11.5, 13)
        for h, st in ((arrive, DeskStatus.OCCUPIED), (lunch, DeskStatus.FREE),
                      (lunch + rng.uniform(0.5, 1), DeskStatus.OCCUPIED),
                      (leave, DeskStatus.FREE)):
            changes.append((ms(d, h), desk.id, desk.zone, st))
    changes.sort()
    lines = []
    busy: dict[str, int] = {z.id: 0 for z in layout.zones}
    for t, desk_id, zone_id, st in changes:
        lines.append(lb.desk_state(DeskState(id=desk_id, zone=zone_id, status=st), t))
        busy[zone_id] += 1 if st is DeskStatus.OCCUPIED else -1
        z = layout.zone(zone_id)
        assert z is not None
        lines.append(lb.zone_state(ZoneState(
            id=z.id, name=z.name, kind=ZoneKind.DESK_AREA, seatable=True, capacity=z.capacity,
            status=ZoneStatus.FREE, occupied=busy[zone_id], desks_total=PER_ZONE,
            desks_free=PER_ZONE - busy[zone_id], desks_unknown=0, stale=False), t))
    total = 0  # the door node reboots every night: its totals restart
    for h in range(7, 20):
        total += rng.randint(0, 30)
        payload = ObservationPayload.model_validate(
            {"seq": h, "ts": ms(d, h), "boot": boot, "in": total, "out": total})
        lines.append(lb.observation(Observation("door-1", 1, Measure.PASSAGE, "entrance", None,
                                                ms(d, h), h, True, payload)))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--desks", type=int, default=500)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    layout = big_layout(args.desks)
    cfg = ReportSettings()
    first = date(2025, 1, 1)
    last = first + timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory(prefix="hubsense-bench-") as tmp:
        influx = InfluxDB(Path(tmp), free_port(), free_port()).start()
        try:
            db = InfluxV1(InfluxSettings(url=influx.url, database="bench", timeout_s=120))
            db.create_database()
            rng = random.Random(6)
            lb = PointBuilder(layout)
            t0, points = time.perf_counter(), 0
            d = first
            while d <= last:
                if d.weekday() < 5:
                    boot = f"{d.month:02x}{d.day:02x}"  # a reboot every night
                    lines = day_lines(lb, layout, d, rng, boot)
                    db.write_lines("\n".join(lines))
                    points += len(lines)
                d += timedelta(days=1)
            print(f"raw data:  {points:,} points for {args.desks} desks, {args.days} days "
                  f"in {time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()
            n = Rollup(db, layout, cfg).run(first, last)
            # The baseline: the rollup pass reads the raw series and computes the same
            # durations a report without rollups would have to compute.
            raw_s = time.perf_counter() - t0
            print(f"rollup:    {n:,} points in {raw_s:.1f} s (baseline: durations from raw)")
            period = Period(first, last)
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                r = utilization(db, layout, cfg, period)
                times.append(time.perf_counter() - t0)
            busiest = max(r.zones, key=lambda u: u.mean_vs_capacity or 0)
            print(f"yearly utilization report ({len(r.zones)} zones, {len(r.desks)} desks): "
                  f"median {statistics.median(times):.2f} s, max {max(times):.2f} s "
                  f"over {args.runs} runs (target < 2 s); {raw_s / statistics.median(times):.0f}x "
                  "faster than the baseline")
            print(f"  e.g. {busiest.id}: occupied {busiest.occupied_share:.0%} of opening "
                  f"hours, mean {busiest.mean_vs_capacity:.0%} of capacity")
            t0 = time.perf_counter()
            v = visits(db, layout, cfg, period, by="month")
            print(f"yearly visits report by month: {time.perf_counter() - t0:.2f} s, "
                  f"{v.total:,} visits")
            db.close()
        finally:
            influx.stop()


if __name__ == "__main__":
    main()
