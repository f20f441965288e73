"""Fan-out benchmark: N concurrent /api/v1/stream clients, one retained state change.

Starts a real Mosquitto and the API (`hubsense api`) on free loopback ports,
opens N event streams (raw asyncio sockets, so the client is not the
bottleneck), publishes one zone change, and measures per client the delay
from the publish to the event that shows it. Prints JSON with p50/p99/max;
target: all N receive it, p99 < 1 s.

    .venv/bin/python bench/api_stream.py [--clients 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.api_zones import LAYOUT, ROOT, publish_state
from hubsense.contract import state_topic
from hubsense.layout import load_layout
from hubsense.stack.mosquitto import BrokerUsers, Mosquitto
from hubsense.stack.processes import Child, free_port, wait_until
from hubsense.state import SEATABLE, ZoneState, ZoneStatus

MARK = b'"status":"full"'


async def client(port: int, opened: asyncio.Event, ready: list[int], published: list[float],
                 delays: list[float], timeout: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/v1/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
    await writer.drain()
    ready[0] += 1
    if ready[0] == ready[1]:
        opened.set()
    try:
        async with asyncio.timeout(timeout):
            while True:
                line = await reader.readline()
                if not line:
                    return
                if published and MARK in line:
                    delays.append(time.monotonic() - published[0])
                    return
    except TimeoutError:
        return
    finally:
        writer.close()


def publish_full(broker: Mosquitto, site: str, published: list[float]) -> None:
    layout = load_layout(LAYOUT)
    z = layout.zone("quiet")
    assert z is not None
    desks = len(layout.desks_in(z.id))
    state = ZoneState(id=z.id, name=z.name, kind=z.kind, seatable=z.kind in SEATABLE,
                      capacity=z.capacity, status=ZoneStatus.FULL, occupied=desks,
                      desks_total=desks, desks_free=0, desks_unknown=0, stale=False)
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-change")
    c.username_pw_set("bench", broker.users.passwords["bench"])
    c.connect(broker.host, broker.port)
    c.loop_start()
    published.append(time.monotonic())
    c.publish(state_topic(site, "zone", z.id), state.model_dump_json(), 1, True).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()


async def fan_out(broker: Mosquitto, site: str, port: int, n: int) -> list[float]:
    opened = asyncio.Event()
    ready, published, delays = [0, n], [], []  # type: ignore[var-annotated]
    tasks = [asyncio.create_task(client(port, opened, ready, published, delays, 30))
             for _ in range(n)]
    await asyncio.wait_for(opened.wait(), 60)
    await asyncio.sleep(2)  # let every stream receive its first event
    await asyncio.to_thread(publish_full, broker, site, published)
    await asyncio.gather(*tasks)
    return sorted(delays)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=1000)
    args = ap.parse_args()
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

            def live() -> bool:
                try:
                    r = httpx.get(f"http://127.0.0.1:{port}/api/v1/zones", timeout=1)
                    return bool(r.json()["live"])
                except (httpx.HTTPError, ValueError, KeyError):
                    return False

            wait_until(live, 20, "api with live state", api.alive)
            delays = asyncio.run(fan_out(broker, layout.site.id, port, args.clients))
        finally:
            if api:
                api.stop()
            broker.stop()

    def pct(p: float) -> float | None:
        return round(delays[min(len(delays) - 1, int(p * len(delays)))] * 1000, 1) \
            if delays else None

    result = {"clients": args.clients, "received": len(delays), "p50_ms": pct(0.5),
              "p99_ms": pct(0.99), "max_ms": pct(1.0), "target_p99_ms": 1000}
    print(json.dumps(result, indent=2))
    ok = len(delays) == args.clients and (result["p99_ms"] or 1e9) < 1000
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
