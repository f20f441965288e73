"""Benchmark GET /api/v1/zones against a trivial endpoint of the same app, in one run.

Starts a real Mosquitto and the API (`hubsense api`) on free loopback ports,
publishes a full site's retained state, then runs wrk on /api/v1/health and
/api/v1/zones with the same connections and duration. Prints JSON; the figure
that matters is `ratio_median` (zones req/s over health req/s per round,
median of the rounds; target >= 0.8).

    .venv/bin/python bench/api_zones.py [--connections 50] [--duration 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from hubsense.contract import collector_status_topic, state_topic
from hubsense.layout import load_layout
from hubsense.stack.mosquitto import BrokerUsers, Mosquitto
from hubsense.stack.processes import Child, free_port, wait_until
from hubsense.state import SEATABLE, ZoneState, ZoneStatus

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = ROOT / "config" / "layout.yaml"


def publish_state(broker: Mosquitto, site: str) -> None:
    layout = load_layout(LAYOUT)
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pub")
    c.username_pw_set("bench", broker.users.passwords["bench"])
    c.connect(broker.host, broker.port)
    c.loop_start()
    now = int(time.time() * 1000)
    for z in layout.zones:
        desks = len(layout.desks_in(z.id))
        state = ZoneState(id=z.id, name=z.name, kind=z.kind, seatable=z.kind in SEATABLE,
                          capacity=z.capacity, status=ZoneStatus.FREE, occupied=1,
                          desks_total=desks, desks_free=desks - 1 if desks else None,
                          desks_unknown=0, stale=False, updated_ms=now, last_seen_ms=now)
        c.publish(state_topic(site, "zone", z.id), state.model_dump_json(), 1, True)
    c.publish(collector_status_topic(site), "online", 1, True).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()


def wrk(url: str, connections: int, duration: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
         url], capture_output=True, text=True, check=True, timeout=duration + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99) * scale,
            "non_2xx": float(errors.group(1)) if errors else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--duration", type=int, default=5, help="seconds per endpoint and round")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    layout = load_layout(LAYOUT)
    with tempfile.TemporaryDirectory(prefix="hubsense-bench-") as tmp:
        work = Path(tmp)
        users = BrokerUsers.for_site([n.id for n in layout.nodes], admins=("bench",))
        broker = Mosquitto(work / "mosquitto", free_port(), users).start()
        api: Child | None = None
        try:
            publish_state(broker, layout.site.id)
            port = free_port()
            config = work / "api.toml"
            config.write_text(
                f'layout = "{LAYOUT}"\n[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\n'
                f'[api]\nport = {port}\nrate_limit_per_min = 0\n'
                f'[api.mqtt]\nusername = "api"\npassword = "{users.passwords["api"]}"\n')
            api = Child("api", [sys.executable, "-m", "hubsense.cli", "api", "-c", str(config)],
                        work / "api.log", cwd=ROOT, die_with_parent=True).start()
            base = f"http://127.0.0.1:{port}"

            def live() -> bool:
                try:
                    return bool(httpx.get(f"{base}/api/v1/zones", timeout=1).json()["live"])
                except (httpx.HTTPError, ValueError, KeyError):
                    return False

            wait_until(live, 20, "api with live state", api.alive)
            wrk(f"{base}/api/v1/health", args.connections, 2)  # warm-up
            # Alternate the two in rounds so drift on a shared machine hits both alike.
            rounds = []
            for _ in range(args.rounds):
                health = wrk(f"{base}/api/v1/health", args.connections, args.duration)
                zones = wrk(f"{base}/api/v1/zones", args.connections, args.duration)
                rounds.append({"health": health, "zones": zones,
                               "ratio": round(zones["rps"] / health["rps"], 3)})
        finally:
            if api:
                api.stop()
            broker.stop()
    ratio = statistics.median(r["ratio"] for r in rounds)
    result = {"connections": args.connections, "duration_s": args.duration, "rounds": rounds,
              "ratio_median": ratio, "target_ratio": 0.8}
    print(json.dumps(result, indent=2))
    errors = sum(r["zones"]["non_2xx"] + r["health"]["non_2xx"] for r in rounds)
    return 0 if ratio >= 0.8 and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
