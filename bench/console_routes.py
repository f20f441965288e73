"""Benchmark: every console data route over a year of 500 desks, as a signed-in browser asks.

    .venv/bin/python -m bench.console_routes [--desks 500] [--days 365] [--requests 30]

Starts its own InfluxDB and Mosquitto (free ports, temporary directory), writes a
year up to yesterday in the collector's schema (bench/report_yearly.py's data),
rolls it up, starts the real API on loopback with a staff account, signs in and
times each route the console calls with the session cookie, sequentially.
Target: p95 <= 300 ms for every route. Ratios are against the trivial health
route measured in the same run, so a slower machine shows as a slower baseline.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from api.main import create_app, server
from bench.report_yearly import big_layout, day_lines, heartbeat_lines
from collector.points import PointBuilder
from devstack.influxdb import InfluxDB
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.processes import free_port, wait_until
from hubsense.accounts import Accounts, Role
from hubsense.influx import InfluxV1
from hubsense.settings import (
    ApiSettings,
    ConsoleSettings,
    Credentials,
    InfluxSettings,
    MqttSettings,
    ReportSettings,
    Settings,
)
from reports.rollup import Rollup

PASSWORD = "bench-console-pass-7fK2q9Zx4mT"
TARGET_MS = 300.0


def routes(first: date, last: date) -> list[tuple[str, str]]:
    """(what, path) of each request the console's views make."""
    month = first + timedelta(days=28)
    y0, y1 = str(first), str(last)
    m0, m1 = str(last - timedelta(days=27)), str(last)
    mid = str(first + timedelta(days=182))
    return [
        ("health (baseline)", "/api/v1/health"),
        ("session", "/staff/api/session"),
        ("zones (live plan)", "/api/v1/zones"),
        ("nodes + alerts", "/api/v1/nodes"),
        ("node history 24 h", "/api/v1/nodes/door-1/history?hours=24"),
        ("today vs typical", "/api/v1/reports/today"),
        ("utilization 28 days", f"/api/v1/reports/utilization?from={m0}&to={m1}"),
        ("utilization a year", f"/api/v1/reports/utilization?from={y0}&to={y1}"),
        ("utilization a year CSV", f"/api/v1/reports/utilization?from={y0}&to={y1}&format=csv"),
        ("visits 28 days by day", f"/api/v1/reports/visits?from={m0}&to={m1}&by=day"),
        ("visits a year by month", f"/api/v1/reports/visits?from={y0}&to={y1}&by=month"),
        ("events a year", f"/api/v1/reports/events?from={y0}&to={y1}"),
        ("month report utilization", f"/api/v1/reports/utilization?month={month:%Y-%m}"),
        ("compare two half-years", f"/api/v1/reports/compare?before_from={y0}&before_to={mid}"
                                   f"&after_from={mid}&after_to={y1}"),
        ("layouts", "/api/v1/reports/layouts"),
        ("acoustics a year", f"/api/v1/reports/acoustics?from={y0}&to={y1}"),
        ("accuracy a year", f"/api/v1/reports/accuracy?from={y0}&to={y1}"),
        ("checks 28 days", f"/api/v1/checks?from={m0}&to={m1}"),
    ]


def p95(ms: list[float]) -> float:
    return sorted(ms)[max(0, round(0.95 * len(ms)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--desks", type=int, default=500)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args()
    layout = big_layout(args.desks)
    last = date.today() - timedelta(days=1)
    first = last - timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory(prefix="hubsense-bench-") as tmp:
        work = Path(tmp)
        influx = InfluxDB(work / "influxdb", free_port(), free_port()).start()
        users = BrokerUsers.for_site(layout.site.id, [n.id for n in layout.nodes])
        broker = Mosquitto(work / "mosquitto", free_port(), users).start()
        try:
            cfg = InfluxSettings(url=influx.url, database="bench", timeout_s=120)
            t0 = time.perf_counter()
            with InfluxV1(cfg) as db:
                db.create_database()
                rng, lb, d = random.Random(6), PointBuilder(layout), first
                while d <= last:
                    lines = heartbeat_lines(layout.site.id, d)
                    if d.weekday() < 5:
                        lines += day_lines(lb, layout, d, rng, f"{d.month:02x}{d.day:02x}")
                    for i in range(0, len(lines), 20_000):
                        db.write_lines("\n".join(lines[i:i + 20_000]))
                    d += timedelta(days=1)
                Rollup(db, layout, ReportSettings()).run(first, last)
            print(f"seeded and rolled up {args.days} days of {args.desks} desks in "
                  f"{time.perf_counter() - t0:.0f} s")
            Accounts(work / "users.json").add("bench", PASSWORD, [Role.ADMIN])
            login = Credentials(username="api", password=SecretStr(users.passwords["api"]))
            settings = Settings(influx=cfg, mqtt=MqttSettings(host=broker.host, port=broker.port),
                                console=ConsoleSettings(users_file=work / "users.json"),
                                api=ApiSettings(mqtt=login, rate_limit_per_min=0))
            app = create_app(settings, layout)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            srv = server(app, "127.0.0.1", port, log_level="warning")
            thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
            thread.start()
            wait_until(lambda: srv.started, 20, "api", thread.is_alive)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                client.post("/staff/api/session", json={"username": "bench",
                                                        "password": PASSWORD}).raise_for_status()
                results = []
                for what, path in routes(first, last):
                    client.get(path).raise_for_status()  # warm: the first read of a shard
                    ms = []
                    for _ in range(args.requests):
                        t = time.perf_counter()
                        client.get(path).raise_for_status()
                        ms.append((time.perf_counter() - t) * 1000)
                    results.append((what, statistics.median(ms), p95(ms)))
            srv.should_exit = True
            thread.join(10)
            base = results[0][2]
            print(f"{'route':<28} {'median':>8} {'p95':>8} {'p95/health':>10}")
            for what, med, top in results:
                mark = "" if top <= TARGET_MS else "  OVER TARGET"
                print(f"{what:<28} {med:>6.1f}ms {top:>6.1f}ms {top / base:>9.0f}x{mark}")
            worst = max(r[2] for r in results)
            print(f"slowest p95 {worst:.0f} ms (target <= {TARGET_MS:.0f} ms), "
                  f"{args.requests} requests a route")
        finally:
            broker.stop()
            influx.stop()


if __name__ == "__main__":
    main()
