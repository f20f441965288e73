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

With --tls the nodes speak TLS to the broker's TLS listener and check its
certificate against the site CA, as deployed. mbedTLS keeps its buffers and
contexts in the C heap (malloc) on the unix port, outside the GC heap, so the
bench also runs one desk node under heaptrack (`apt-get install heaptrack`)
and replays the recording: every allocation whose backtrace passes through
mbedTLS is counted, giving the most mbedTLS held at once (the handshake) and
what it still held, connected, when the node was stopped. The CPython process
that hosts the unix port and the GC heap itself are not counted.

With --ota each kind runs as `hubsense node add --sim` flashes it (a bundle:
the boot loader, firmware slots, TLS, subscribed to its update offers) against
the real API serving releases over HTTPS: the smallest heap in which it runs,
and the smallest in which it goes through a whole update (offer, reboot into
update mode, download over a second TLS session, verify, stage, reboot into
the new firmware, online and kept) without a MemoryError.

    .venv/bin/python bench/firmware_memory.py [--budget 32] [--seconds 12] [--tls] [--ota]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from devstack.fleet import FleetSite
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.nodes import BundleNode, InputValue, MicroNode, micropython_exe, stage_firmware
from devstack.processes import Child, free_port
from hubsense.layout import parse_layout

SITE = "hbg-works"
LAYOUT = Path(__file__).resolve().parents[1] / "config" / "layout.yaml"
ROOMY_KB = 64  # a heap the node never runs short of, to see what it uses
ADMIN = "bench"
PUBLISH_ROUNDS = 5
# Node id in the example layout, the readings a scenario flips between, by kind.
KINDS: dict[str, tuple[str, list[dict[int, InputValue]] | None]] = {
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
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench")
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


_RUNS = itertools.count()


def make_node(work: Path, broker: Mosquitto, kind: str, heap_kb: int, tls: bool) -> MicroNode:
    """A compiled node of `kind` in a work directory of its own (logs are never shared)."""
    node_id, _ = KINDS[kind]
    overrides = {"inputs": [{"n": 1, "sensor": "radar", "settle_ms": 0},
                            {"n": 2, "sensor": "mic", "interval_s": 5}]} if kind == "buzz" else {}
    port = broker.tls_port if tls else broker.port
    assert port is not None
    return MicroNode(work / f"{kind}-{heap_kb}-{next(_RUNS)}", node_id, SITE, broker.host, port,
                     broker.users.passwords[node_id], kind=kind, inputs=4, heartbeat_s=5,
                     heapsize=f"{heap_kb}K", compiled=True, overrides=overrides,
                     ca_der=broker.tls.ca_der if tls else None)


def run_node(work: Path, broker: Mosquitto, hb: Heartbeats, kind: str, heap_kb: int,
             seconds: float, tls: bool) -> tuple[bool, list[int], str]:
    """Run one node with a capped heap while its inputs change; return (ok, heap_free, log)."""
    node_id, steps = KINDS[kind]
    hb.clear(node_id)
    node = make_node(work, broker, kind, heap_kb, tls)
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
                  seconds: float, tls: bool, lo: int = 16, hi: int = 96) -> int | None:
    """Bisect the smallest heap (KB) the node runs on."""
    if not run_node(work, broker, hb, kind, hi, seconds, tls)[0]:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if run_node(work, broker, hb, kind, mid, seconds, tls)[0]:
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


def mbedtls_c_heap(work: Path, broker: Mosquitto, seconds: float) -> tuple[int, int] | None:
    """Bytes mbedTLS holds in the C heap of a TLS desk node: (most at once, held while
    connected), from a heaptrack recording; None without heaptrack."""
    heaptrack = shutil.which("heaptrack")
    if heaptrack is None:
        return None
    node = make_node(work, broker, "desk", ROOMY_KB, tls=True)
    node.write_config()
    node.set_inputs({})
    stage_firmware(node.workdir)
    record = node.workdir / "heaptrack"
    child = Child("heaptrack", [heaptrack, "-o", str(record), micropython_exe(),
                                "-X", f"heapsize={ROOMY_KB}K", "-m", "main"],
                  node.log, env={"MICROPYPATH": ".frozen"}, cwd=node.workdir).start()
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline and child.alive():
        node.set_inputs({1: i % 2 == 0, 2: i % 2 == 1})
        i += 1
        time.sleep(0.25)
    if "mqtt: connected" not in node.output():
        raise RuntimeError(f"the TLS node did not connect under heaptrack:\n{node.output()}")
    # SIGINT to the node alone (heaptrack's script would die of it and leave
    # its recorder writing): it stops without freeing its TLS session, and
    # heaptrack finishes the recording before it exits.
    script = Path(f"/proc/{child.pid}/task/{child.pid}/children").read_text().split()
    node_pid = next(int(p) for p in script
                    if b"micropython" in Path(f"/proc/{p}/cmdline").read_bytes())
    os.kill(node_pid, signal.SIGINT)
    assert child.proc is not None
    child.proc.wait(120)  # the node's exit status: 1, from the KeyboardInterrupt
    return replay_mbedtls(next(node.workdir.glob("heaptrack.*")))


def replay_mbedtls(recording: Path) -> tuple[int, int]:
    """(most, last) bytes live in allocations with an mbedTLS frame (function or
    source file) in their backtrace, replaying heaptrack's event log in order."""
    unzip = ["zstd", "-dc"] if recording.suffix == ".zst" else ["gzip", "-dc"]
    text = subprocess.run([*unzip, str(recording)], capture_output=True, text=True,
                          check=True).stdout
    strings, ips, traces = [""], [False], [False]  # 1-based; 0 is "none" / the root
    sizes: list[tuple[int, bool]] = []  # 0-based allocation infos
    live = most = 0
    for line in text.splitlines():
        tag, _, rest = line.partition(" ")
        if tag == "s":
            strings.append(rest.partition(" ")[2])
        elif tag == "i":  # ip, module, then (function, file, line) per inlined frame
            f = rest.split()
            names = f[2::3] + f[3::3]
            ips.append(any("mbedtls" in strings[int(n, 16)] for n in names))
        elif tag == "t":  # ip, parent trace
            ip, parent = (int(x, 16) for x in rest.split())
            traces.append(ips[ip] or traces[parent])
        elif tag == "a":  # size, trace
            size, trace = (int(x, 16) for x in rest.split())
            sizes.append((size, traces[trace]))
        elif tag in ("+", "-"):
            size, tls = sizes[int(rest, 16)]
            if tls:
                live += size if tag == "+" else -size
                most = max(most, live)
    if not most:
        raise RuntimeError("no allocation attributed to mbedTLS: is the unix port built "
                           "without symbols?")
    return most, live


PUBLISH_BENCH = """
import asyncio, sys, time
from hubsense_node.mqtt import Client
from hubsense_node.ring import Ring
N = int(sys.argv[4])
q = Ring(1024)
tls = None
if len(sys.argv) > 5:  # the site CA: TLS, the certificate checked as a node does
    import tls as _tls
    ctx = _tls.SSLContext(_tls.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = _tls.CERT_REQUIRED
    ctx.load_verify_locations(open(sys.argv[5], "rb").read())
    class Clock:
        synced = True
    tls = (ctx, "127.0.0.1", Clock())
c = Client("127.0.0.1", int(sys.argv[1]), "desk-q1", sys.argv[2], sys.argv[3].encode(), q,
           tls=tls)
topic = sys.argv[3].rsplit("/", 1)[0].encode() + b"/in/1"
payload = b'{"seq":0,"ts":1795425997408,"synced":true,"present":true}'
async def main():
    t0 = time.ticks_us()
    asyncio.create_task(c.run())
    q.put(topic, payload)  # connected once the broker has this one
    while len(q):
        await asyncio.sleep_ms(0)
    print("us_to_connect", time.ticks_diff(time.ticks_us(), t0))
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


def time_per_publish(work: Path, broker: Mosquitto, firmware: Path, tls: bool,
                     heap_kb: int, n: int = 1000) -> tuple[float, float]:
    """(ms per QoS 1 publish, ms from start to the first PUBACK: TCP, TLS, CONNECT)."""
    script = work / "publish_bench.py"
    script.write_text(PUBLISH_BENCH)
    status = f"hubsense/v1/{SITE}/node/desk-q1/status"
    port = broker.tls_port if tls else broker.port
    out = subprocess.run(
        [micropython_exe(), "-X", f"heapsize={heap_kb}K", str(script), str(port),
         broker.users.passwords["desk-q1"], status, str(n),
         *([str(broker.tls.ca_der)] if tls else [])],
        capture_output=True, text=True, timeout=120, env={"MICROPYPATH": f"{firmware}:.frozen"},
    )
    us = dict(line.split() for line in out.stdout.splitlines() if line.startswith("us_"))
    if "us_per_publish" in us:
        return float(us["us_per_publish"]) / 1000, float(us["us_to_connect"]) / 1000
    raise RuntimeError(f"publish bench failed: {out.stdout}{out.stderr}")


def _bundle_ok(node: BundleNode, seconds: float, done: Callable[[], bool]) -> bool:
    """Whether a bundle node got to `done` within `seconds`, with no MemoryError."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not done():
        if "MemoryError" in node.output() or (node.exits and node.exits[-1] != 3):
            break
        time.sleep(0.2)
    ok = done() and "MemoryError" not in node.output()
    node.stop()
    return ok


def ota_heaps(work: Path, kind: str, seconds: float) -> tuple[int | None, int | None, list[int]]:
    """(smallest heap running, smallest heap through an update, heap_free of its
    heartbeats in a roomy heap) of a bundle node of `kind`."""
    node_id = KINDS[kind][0]
    raw = yaml.safe_load(LAYOUT.read_text())
    for n in raw["nodes"]:
        n["heartbeat_s"] = 5
    layout = parse_layout(raw)
    site = FleetSite(work / f"site-{kind}", layout, LAYOUT, admins=(ADMIN,)).start_api()
    hb = Heartbeats(site.broker)
    try:
        runs = itertools.count()
        first = site.add(node_id, start=False)

        def board(heap_kb: int) -> BundleNode:
            return BundleNode(first.bundle, work / f"board-{kind}-{next(runs)}",
                              f"{heap_kb}K").start()

        def running(heap_kb: int) -> bool:
            hb.clear(node_id)
            return _bundle_ok(board(heap_kb), seconds, lambda: len(hb.of(node_id)) >= 2)

        hb.clear(node_id)
        roomy = board(ROOMY_KB)
        _bundle_ok(roomy, seconds + 5, lambda: len(hb.of(node_id)) >= 3)
        frees = hb.of(node_id)
        run_kb = _bisect(running, 30, ROOMY_KB)
        info = site.release([node_id], version="9.9.9")
        site.offer([node_id], info)

        def updating(heap_kb: int) -> bool:
            node = board(heap_kb)
            return _bundle_ok(node, 45, lambda: (node.workdir / "b" / "manifest").exists()
                              and node.ota_state().get("release") == info.release)

        return run_kb, _bisect(updating, 30, ROOMY_KB), frees
    finally:
        hb.client.loop_stop()
        site.stop()


def _bisect(ok: Callable[[int], bool], lo: int, hi: int) -> int | None:
    if not ok(hi):
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def main_ota(args: argparse.Namespace) -> int:
    print("Bundle nodes (`hubsense node add`): boot loader, slots, TLS, update offers\n")
    print(f"| node kind | in use after boot | most in use | smallest heap running | "
          f"smallest heap through an update | update in {args.budget} KB |")
    print("| --- | --- | --- | --- | --- | --- |")
    held = True
    roomy = heap_total(ROOMY_KB)
    with tempfile.TemporaryDirectory(prefix="hubsense-bench-") as tmp:
        for kind in args.kinds:
            run_kb, update_kb, frees = ota_heaps(Path(tmp), kind, min(args.seconds, 12.0))
            after_boot = f"{(roomy - frees[0]) / 1024:.1f} KB" if frees else "-"
            peak = f"{(roomy - min(frees)) / 1024:.1f} KB" if frees else "-"
            ok = update_kb is not None and update_kb <= args.budget
            held &= ok
            print(f"| {kind} | {after_boot} | {peak} | {run_kb or '-'} KB | {update_kb or '-'} KB "
                  f"| {'yes' if ok else 'NO'} |", flush=True)
    return 0 if held else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=32, help="heap budget, KB")
    ap.add_argument("--seconds", type=float, default=12.0, help="run time per node")
    ap.add_argument("--kinds", nargs="*", default=list(KINDS))
    ap.add_argument("--tls", action="store_true",
                    help="nodes speak TLS, checking the broker's certificate")
    ap.add_argument("--ota", action="store_true",
                    help="bundle nodes (TLS, slots, update offers), and a whole update")
    args = ap.parse_args()
    if args.ota:
        return main_ota(args)
    tls = args.tls
    with tempfile.TemporaryDirectory(prefix="hubsense-bench-") as tmp:
        work = Path(tmp)
        users = BrokerUsers.for_site(SITE, [n for n, _ in KINDS.values()], admins=(ADMIN,))
        broker = Mosquitto(work / "mosquitto", free_port(), users, tls_port=free_port()).start()
        try:
            hb = Heartbeats(broker)
            print(f"MQTT {'over TLS (certificate checked)' if tls else 'in plain text'}\n")
            print(f"| node kind | in use after boot | most in use | smallest heap | "
                  f"runs in {args.budget} KB |")
            print("| --- | --- | --- | --- | --- |")
            held = True
            for kind in args.kinds:
                _, frees, _ = run_node(work, broker, hb, kind, ROOMY_KB, args.seconds, tls)
                ok = run_node(work, broker, hb, kind, args.budget, args.seconds, tls)[0]
                smallest = smallest_heap(work, broker, hb, kind, min(args.seconds, 7.0), tls)
                roomy = heap_total(ROOMY_KB)
                after_boot = f"{(roomy - frees[0]) / 1024:.1f} KB" if frees else "-"
                peak = f"{(roomy - min(frees)) / 1024:.1f} KB" if frees else "-"
                least = f"{smallest} KB" if smallest else "> 96 KB"
                held &= ok
                print(f"| {kind} | {after_boot} | {peak} | {least} | {'yes' if ok else 'NO'} |",
                      flush=True)
            if tls:
                c_heap = mbedtls_c_heap(work, broker, args.seconds)
                print("\nmbedTLS in the C heap (desk node): " + (
                    "heaptrack not found (apt-get install heaptrack)" if c_heap is None else
                    f"{c_heap[0] / 1024:.1f} KB at most, {c_heap[1] / 1024:.1f} KB held "
                    f"while connected"))
            # Alternating rounds, medians: the machine is shared, so plain MQTT is
            # timed beside TLS in the same run as its baseline.
            firmware = stage_firmware(work / "firmware")
            modes = (False, True) if tls else (False,)
            times: dict[bool, list[tuple[float, float]]] = {m: [] for m in modes}
            for _ in range(PUBLISH_ROUNDS):
                for mode in modes:
                    times[mode].append(time_per_publish(work, broker, firmware, mode,
                                                        args.budget))
            print(f"\nQoS 1 publish, queued to PUBACK, loopback ({args.budget} KB heap, median of "
                  f"{PUBLISH_ROUNDS} rounds of 1000; connect: TCP, TLS handshake if any, "
                  f"CONNECT, the first PUBACK):")
            for mode in modes:
                per = statistics.median(t[0] for t in times[mode])
                connect = statistics.median(t[1] for t in times[mode])
                spread = ", ".join(f"{t[0]:.2f}" for t in times[mode])
                print(f"  {'TLS  ' if mode else 'plain'}  {per:.2f} ms per publish ({spread}), "
                      f"connect {connect:.1f} ms")
            hb.client.loop_stop()
        finally:
            broker.stop()
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
