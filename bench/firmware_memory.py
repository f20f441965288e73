"""Firmware memory and publish-time benchmark: the real node, on the MicroPython
unix port (compiled with mpy-cross, as deployed), against a real Mosquitto.

For each node kind it reports the heap in use after boot and the most in use
while publishing (both after a collection, from the node's own heartbeats,
measured with a roomy 64 KB heap; the offline queue's buffer, allocated at
boot, is in both), the smallest heap (-X heapsize) on which the node boots and
keeps publishing, and whether that is within the budget. The full-queue outage
is tested, not benchmarked (tests/sensors/test_offline_queue.py).
Time per publish is one QoS 1 message sent and acknowledged by the broker
(the node's own MQTT client, loopback).

    .venv/bin/python bench/firmware_memory.py [--budget 32] [--seconds 12]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.nodes import MicroNode, micropython_exe, stage_firmware
from devstack.processes import free_port

SITE = "hbg-works"
ROOMY_KB = 64  # a heap the node never runs short of, to see what it uses
ADMIN = "bench"
KINDS = {  # node id in the example layout, kind, the readings a scenario flips between
    "desk": ("desk-q1", [{1: True, 2: False, 3: True, 4: False}, {1: False, 2: True}]),
    "buzz": ("buzz-n", [{1: 5, 2: 61.5}, {1: 9, 2: 67.0}]),
    "meeting": ("meet-a", [{1: 2, 2: True}, {1: 4, 2: False}]),
    "entrance": ("door-1", None),
}


class Heartbeats:
    """Collects the heap_free of every heartbeat on the broker."""

    def __init__(self, broker: Mosquitto) -> None:
        self.heap_free: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench")
        self.client.username_pw_set(ADMIN, broker.users.passwords[ADMIN])
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(f"hubsense/v1/{SITE}/node/+/heartbeat", 1)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, m: mqtt.MQTTMessage) -> None:
        node = m.topic.split("/")[4]
        with self._lock:
            self.heap_free.setdefault(node, []).append(json.loads(m.payload)["heap_free"])

    def of(self, node: str) -> list[int]:
        with self._lock:
            return list(self.heap_free.get(node, []))

    def clear(self, node: str) -> None:
        with self._lock:
            self.heap_free.pop(node, None)


def run_node(work: Path, broker: Mosquitto, hb: Heartbeats, kind: str, heap_kb: int,
             seconds: float) -> tuple[bool, list[int], str]:
    """Run one node with a capped heap while its inputs change; return (ok, heap_free, log)."""
    node_id, steps = KINDS[kind]
    hb.clear(node_id)
    overrides = {"inputs": [{"n": 1, "sensor": "radar", "settle_ms": 0},
                            {"n": 2, "sensor": "mic", "interval_s": 5}]} if kind == "buzz" else {}
    node = MicroNode(work / f"{kind}-{heap_kb}", node_id, SITE, broker.host, broker.port,
                     broker.users.passwords[node_id], kind=kind, inputs=4, heartbeat_s=5,
                     heapsize=f"{heap_kb}K", compiled=True, overrides=overrides)
    node.start()
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline and node.alive():
        node.set_inputs(steps[i % 2] if steps else {1: (3 * i, 2 * i)})
        i += 1
        time.sleep(0.25)
    alive = node.alive()
    node.stop()
    log = node.output()
    frees = hb.of(node_id)
    ok = alive and "MemoryError" not in log and len(frees) >= 2
    return ok, frees, log


def smallest_heap(work: Path, broker: Mosquitto, hb: Heartbeats, kind: str,
                  seconds: float, lo: int = 16, hi: int = 96) -> int | None:
    """Bisect the smallest heap (KB) the node runs on."""
    if not run_node(work, broker, hb, kind, hi, seconds)[0]:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if run_node(work, broker, hb, kind, mid, seconds)[0]:
            hi = mid
        else:
            lo = mid
    return hi


def heap_total(heap_kb: int) -> int:
    """The bytes the GC can hand out with -X heapsize (less than heapsize: its tables)."""
    out = subprocess.run([micropython_exe(), "-X", f"heapsize={heap_kb}K", "-c",
                          "import gc; print(gc.mem_alloc() + gc.mem_free())"],
                         capture_output=True, text=True, timeout=30, check=True)
    return int(out.stdout)


PUBLISH_BENCH = """
import asyncio, sys, time
from hubsense_node.mqtt import Client
from hubsense_node.ring import Ring
N = int(sys.argv[4])
q = Ring(1024)
c = Client("127.0.0.1", int(sys.argv[1]), "desk-q1", sys.argv[2], sys.argv[3].encode(), q)
topic = sys.argv[3].rsplit("/", 1)[0].encode() + b"/in/1"
payload = b'{"seq":0,"ts":1795425997408,"synced":true,"present":true}'
async def main():
    asyncio.create_task(c.run())
    q.put(topic, payload)  # connected once the broker has this one
    while len(q):
        await asyncio.sleep_ms(5)
    t0 = time.ticks_us()
    sent = 0
    while sent < N or len(q):
        while sent < N and len(q) < 8:
            q.put(topic, payload)
            sent += 1
        await asyncio.sleep_ms(0)
    print("us_per_publish", time.ticks_diff(time.ticks_us(), t0) / N)
asyncio.run(main())
"""


def time_per_publish(work: Path, broker: Mosquitto, firmware: Path, n: int = 1000) -> float:
    script = work / "publish_bench.py"
    script.write_text(PUBLISH_BENCH)
    status = f"hubsense/v1/{SITE}/node/desk-q1/status"
    out = subprocess.run(
        [micropython_exe(), "-X", "heapsize=32K", str(script), str(broker.port),
         broker.users.passwords["desk-q1"], status, str(n)],
        capture_output=True, text=True, timeout=120, env={"MICROPYPATH": f"{firmware}:.frozen"},
    )
    for line in out.stdout.splitlines():
        if line.startswith("us_per_publish"):
            return float(line.split()[1]) / 1000
    raise RuntimeError(f"publish bench failed: {out.stdout}{out.stderr}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=32, help="heap budget, KB")
    ap.add_argument("--seconds", type=float, default=12.0, help="run time per node")
    ap.add_argument("--kinds", nargs="*", default=list(KINDS))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubsense-bench-") as tmp:
        work = Path(tmp)
        users = BrokerUsers.for_site([n for n, _ in KINDS.values()], admins=(ADMIN,))
        broker = Mosquitto(work / "mosquitto", free_port(), users).start()
        try:
            hb = Heartbeats(broker)
            print(f"| node kind | in use after boot | most in use | smallest heap | "
                  f"runs in {args.budget} KB |")
            print("| --- | --- | --- | --- | --- |")
            held = True
            for kind in args.kinds:
                _, frees, _ = run_node(work, broker, hb, kind, ROOMY_KB, args.seconds)
                ok = run_node(work, broker, hb, kind, args.budget, args.seconds)[0]
                smallest = smallest_heap(work, broker, hb, kind, min(args.seconds, 7.0))
                roomy = heap_total(ROOMY_KB)
                after_boot = f"{(roomy - frees[0]) / 1024:.1f} KB" if frees else "-"
                peak = f"{(roomy - min(frees)) / 1024:.1f} KB" if frees else "-"
                least = f"{smallest} KB" if smallest else "> 96 KB"
                held &= ok
                print(f"| {kind} | {after_boot} | {peak} | {least} | {'yes' if ok else 'NO'} |",
                      flush=True)
            ms = time_per_publish(work, broker, stage_firmware(work / "firmware"))
            print(f"\ntime per QoS 1 publish (sent to PUBACK, loopback, {args.budget} KB heap): "
                  f"{ms:.2f} ms")
            hb.client.loop_stop()
        finally:
            broker.stop()
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
