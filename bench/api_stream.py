"""Fan-out benchmark: N concurrent /api/v1/stream clients, one retained state change.

Starts a real Mosquitto and the API (`hubsense api`) on free loopback ports,
opens N event streams (raw asyncio sockets, so the client is not the
bottleneck), publishes one zone change, and measures per client the delay
from the publish to the event that shows it. Prints JSON with p50/p99/max;
target: all N receive it, p99 < 1 s.

    .venv/bin/python -m bench.api_stream [--clients 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from bench.api_stack import Stack, running_api, zone
from hubsense.state import ZoneStatus

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


def publish_full(stack: Stack, published: list[float]) -> None:
    state = zone(stack.layout, "quiet", ZoneStatus.FULL, 8)
    published.append(time.monotonic())
    stack.publish_zone(state, "bench-change")


async def fan_out(stack: Stack, n: int) -> list[float]:
    opened = asyncio.Event()
    ready, published, delays = [0, n], [], []  # type: ignore[var-annotated]
    tasks = [asyncio.create_task(client(stack.port, opened, ready, published, delays, 30))
             for _ in range(n)]
    await asyncio.wait_for(opened.wait(), 60)
    await asyncio.sleep(2)  # let every stream receive its first event
    await asyncio.to_thread(publish_full, stack, published)
    await asyncio.gather(*tasks)
    return sorted(delays)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=1000)
    args = ap.parse_args()
    with running_api() as stack:
        delays = asyncio.run(fan_out(stack, args.clients))

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
