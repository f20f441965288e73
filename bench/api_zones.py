"""Benchmark GET /api/v1/zones against a trivial endpoint of the same app, in one run.

Starts a real Mosquitto and `hubsense api` on free loopback ports with a whole
site's retained state, then runs wrk on /api/v1/health and /api/v1/zones,
alternating them in rounds. Prints JSON; the figure that matters is
`ratio_median` (zones req/s over health req/s per round; target >= 0.8).

    .venv/bin/python -m bench.api_zones [--connections 50] [--duration 5] [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys

from bench.api_stack import running_api


def wrk(url: str, connections: int, duration: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True, text=True, check=True, timeout=duration + 30).stdout
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
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    rounds = []
    with running_api() as stack:
        wrk(f"{stack.base_url}/api/v1/health", args.connections, 2)  # warm-up
        # Alternate the two, and which goes first, so drift on a shared machine hits both alike.
        for n in range(args.rounds):
            runs = {}
            for path in ("health", "zones")[:: 1 if n % 2 == 0 else -1]:
                runs[path] = wrk(f"{stack.base_url}/api/v1/{path}", args.connections,
                                 args.duration)
            health, zones = runs["health"], runs["zones"]
            rounds.append({"health": health, "zones": zones,
                           "ratio": round(zones["rps"] / health["rps"], 3)})
    ratio = statistics.median(float(r["ratio"]) for r in rounds)  # type: ignore[arg-type]
    result = {"connections": args.connections, "duration_s": args.duration, "rounds": rounds,
              "ratio_median": ratio, "target_ratio": 0.8}
    print(json.dumps(result, indent=2))
    errors = sum(r["zones"]["non_2xx"] + r["health"]["non_2xx"]  # type: ignore[index]
                 for r in rounds)
    return 0 if ratio >= 0.8 and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
