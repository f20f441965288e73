"""Benchmark: a year of 500 desks in a real InfluxDB, rolled up, then the yearly report.

    .venv/bin/python bench/report_yearly.py [--desks 500] [--days 365] [--runs 5]

Starts its own InfluxDB (free ports, temporary directory), writes a year of
raw desk and zone state changes, door totals and the collector's heartbeat in
the collector's schema (rendered by collector.points), rolls it up with
reports.rollup, then times the yearly utilization report, which reads the
monthly rollups. Targets: median <= 0.5 s for 500 desks, <= 2 s for 5,000.
Baselines, in the same run: the same report from the daily and hourly rollups
only (how it was read before the monthly ones), and the rollup pass itself,
which computes the durations from the raw series as a report without rollups
would.
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
from hubsense.influx import InfluxV1, Point
from hubsense.layout import Layout, Measure, ZoneKind, parse_layout
from hubsense.measurements import COLLECTOR_HEARTBEAT, DESK_DAY, ZONE_HOUR, in_rollup_rp
from hubsense.settings import InfluxSettings, ReportSettings, Settings
from hubsense.state import DeskState, DeskStatus, ZoneState, ZoneStatus
from reports.hours import Calendar, Period
from reports.rollup import Rollup
from reports.service import CompareQuery, ReportService
from reports.source import WHERE, window
from reports.utilization import utilization
from reports.visits import visits

TZ = ZoneInfo("Europe/Stockholm")
PER_ZONE = 20


def big_layout(desks: int) -> Layout:
    """Zones of PER_ZONE desks side by side, ten to a row, and an entrance below them."""
    zones = (desks + PER_ZONE - 1) // PER_ZONE
    rows = (zones + 9) // 10

    def square(i: int) -> list[list[int]]:
        x, y = (i % 10) * 100, (i // 10) * 100
        return [[x, y], [x + 100, y], [x + 100, y + 100], [x, y + 100]]

    def seat(i: int) -> list[int]:
        x, y = square(i // PER_ZONE)[0]
        return [x + 10 + (i % PER_ZONE) % 5 * 20, y + 10 + (i % PER_ZONE) // 5 * 20]

    return parse_layout({
        "site": {"id": "bench", "name": "Bench hub", "width": 1000, "height": rows * 100 + 100},
        "zones": [{"id": f"z{z:02d}", "name": f"Zone {z}", "kind": "desk_area",
                   "capacity": PER_ZONE, "shape": square(z)} for z in range(zones)] +
                 [{"id": "entrance", "name": "Entrance", "kind": "entrance", "capacity": 50,
                   "shape": [[0, rows * 100], [1000, rows * 100], [1000, rows * 100 + 100],
                             [0, rows * 100 + 100]]}],
        "desks": [{"id": f"d{i:03d}", "zone": f"z{i // PER_ZONE:02d}", "position": seat(i)}
                  for i in range(desks)],
        "nodes": [{"id": "door-1", "kind": "entrance",
                   "inputs": [{"n": 1, "measures": "passage", "zone": "entrance"}]}],
    })


def ms(d: date, hour: float) -> int:
    base = datetime(d.year, d.month, d.day, tzinfo=TZ)
    return int(base.timestamp() * 1000 + hour * 3_600_000)


def heartbeat_lines(site: str, d: date) -> list[str]:
    """The collector running all day: a heartbeat every 30 s (hubsense.downtime)."""
    a, b = ms(d, 0), ms(d + timedelta(days=1), 0)
    return [Point(COLLECTOR_HEARTBEAT, {"site": site}, {"every_s": 30, "started": t == a},
                  t).line() for t in range(a, b, 30_000)]


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


def previous_queries(db: InfluxV1, site: str, start_ms: int, end_ms: int) -> int:
    """What the yearly report read before the daily and monthly zone rollups: desk days
    by desk and zone hours by zone and hour of week (the same sums; parsed, not added)."""
    params = window(site, start_ms, end_ms)
    desks = (f"SELECT sum(open_known_s), sum(open_occupied_s) FROM {in_rollup_rp(DESK_DAY)} "
             f"WHERE {WHERE} GROUP BY desk")
    zones = (f"SELECT sum(open_known_s), sum(open_occupied_s), sum(open_people_s), "
             f"sum(people_s), sum(known_s), max(open_peak) FROM {in_rollup_rp(ZONE_HOUR)} "
             f"WHERE {WHERE} GROUP BY zone, how")
    return sum(len(s.rows()) for q in (desks, zones) for s in db.query(q, params))


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
                lines = heartbeat_lines(layout.site.id, d)
                if d.weekday() < 5:
                    boot = f"{d.month:02x}{d.day:02x}"  # a reboot every night
                    lines += day_lines(lb, layout, d, rng, boot)
                for i in range(0, len(lines), 20_000):
                    db.write_lines("\n".join(lines[i:i + 20_000]))
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
            cal = Calendar.from_settings(cfg, layout.site.timezone)
            target = 0.5 if args.desks <= 500 else 2.0
            days_only, times, before = [], [], []
            for _ in range(args.runs):  # alternate, so all see the same machine
                t0 = time.perf_counter()
                previous_queries(db, layout.site.id, *period.bounds(cal))
                before.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                base = utilization(db, layout, cfg, period, use_months=False)
                days_only.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                r = utilization(db, layout, cfg, period)
                times.append(time.perf_counter() - t0)
            assert [(u.id, round(u.mean_vs_capacity or 0, 9)) for u in r.zones] == \
                [(u.id, round(u.mean_vs_capacity or 0, 9)) for u in base.zones], "same figures"
            med = statistics.median(times)
            print(f"yearly utilization report ({len(r.zones)} zones, {len(r.desks)} desks), "
                  f"monthly rollups: median {med:.2f} s, max {max(times):.2f} s over "
                  f"{args.runs} runs (target <= {target:g} s)")
            for what, ts in (("the previous report's queries (desk days, zone hours by hour "
                              "of week)", before), ("daily rollups only", days_only)):
                print(f"  baseline, {what}: median {statistics.median(ts):.2f} s: "
                      f"{statistics.median(ts) / med:.1f}x")
            print(f"  baseline, durations from raw (the rollup pass): {raw_s / med:.0f}x")
            busiest = max(r.zones, key=lambda u: u.mean_vs_capacity or 0)
            print(f"  e.g. {busiest.id}: occupied {busiest.occupied_share:.0%} of opening "
                  f"hours, mean {busiest.mean_vs_capacity:.0%} of capacity")
            vt = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                v = visits(db, layout, cfg, period, by="month")
                vt.append(time.perf_counter() - t0)
            print(f"yearly visits report by month: median {statistics.median(vt):.2f} s, "
                  f"{v.total:,} visits")
            mid = first + timedelta(days=args.days // 2)
            halves = CompareQuery(Period(first, mid - timedelta(days=1)), Period(mid, last))
            svc = ReportService(db, layout, Settings(report=cfg))
            ct = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                svc.compare(halves)
                ct.append(time.perf_counter() - t0)
            print(f"compare two half-years: median {statistics.median(ct):.2f} s")
            db.close()
        finally:
            influx.stop()


if __name__ == "__main__":
    main()
