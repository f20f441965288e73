"""Collector throughput: MQTT QoS 1 to points in InfluxDB, beside a paho count-only baseline.

Run: .venv/bin/python bench/collector_throughput.py [N [SECONDS [RATE [AUTOSAVE_S]]]]
Starts Mosquitto (configured as hubsense ships it) and InfluxDB on free ports in a
temporary directory, then measures, each beside a baseline in the same run:

backlog  N messages queued in a persistent session while the consumer is away,
         then drained: (a) a paho subscriber that only counts, (b) the real
         collector process until all N points are in InfluxDB (loss: N minus the
         points there; rate from its first message, and from its process start).
live     a publisher process publishes QoS 1 for SECONDS, as fast as it can and
         then at RATE msg/s (default 10,000), while
         (a) the count-only subscriber, then (b) the collector runs: sustained
         rate, loss, and latency from publish() to the point readable in
         InfluxDB, found by polling InfluxDB every POLL_S for the newest point
         (messages are written in order, so each poll dates every point up to
         that one; a latency is an upper bound, at most one poll late).

Peak memory is the collector's VmHWM.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from array import array
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devstack.influxdb import InfluxDB
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.processes import Child, free_port
from hubsense.contract import input_topic
from hubsense.influx import InfluxError, InfluxV1
from hubsense.layout import load_layout
from hubsense.settings import InfluxSettings

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = ROOT / "config" / "layout.yaml"
SITE = "hbg-works"
NODES = ["buzz-n", "buzz-s", "meet-a", "meet-b", "lounge"]
SUBSCRIPTION = f"hubsense/v1/{SITE}/node/+/in/+"
POLL_S = 0.02
WINDOW = 1000  # the live publisher's unacknowledged messages at most
# Point times are T0_BACK_MS + seq before the run: distinct per point, never in the future.
T0_BACK_MS = 2_000_000


def client(mq: Mosquitto, user: str, cid: str, **kw: object) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5, **kw)
    c.username_pw_set(user, mq.users.passwords[user])
    return c


def session(c: mqtt.Client, mq: Mosquitto) -> None:
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    c.connect(mq.host, mq.port, clean_start=False, properties=props)


def end_session(c: mqtt.Client) -> None:
    """Disconnect and let the broker drop the session: it queues nothing more for it."""
    props = Properties(PacketTypes.DISCONNECT)
    props.SessionExpiryInterval = 0
    c.disconnect(properties=props)
    c.loop_stop()


def body(i: int, t0: int) -> str:
    return json.dumps({"seq": i, "ts": t0 + i, "synced": True, "count": i % 1000})


def publish_backlog(mq: Mosquitto, n: int) -> None:
    pub = client(mq, "tester", "bench-pub")
    pub.max_inflight_messages_set(1000)
    pub.connect(mq.host, mq.port)
    pub.loop_start()
    t0 = int(time.time() * 1000) - T0_BACK_MS
    # In chunks: paho has 65,535 message ids, and its publish slows with a long queue.
    for start in range(0, n, 10_000):
        infos = [pub.publish(input_topic(SITE, NODES[i % len(NODES)], 1), body(i, t0), qos=1)
                 for i in range(start, min(n, start + 10_000))]
        for info in infos:
            info.wait_for_publish(120)
    pub.disconnect()
    pub.loop_stop()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, byte = n >> 7, n & 127
        out.append(byte | (128 if n else 0))
        if not n:
            return bytes(out)


def _utf8(s: str) -> bytes:
    return struct.pack("!H", len(s)) + s.encode()


def publisher_main(port: int, password: str, seconds: float, rate: float, out: str) -> None:
    """The live publisher (its own process): QoS 1 for `seconds`, at `rate` msg/s or
    (0) as fast as it can.

    A paho publisher manages about 4,000 QoS 1 messages/s here, so this one speaks
    MQTT 5 on a plain socket: packets built by hand and sent 100 at a time, with
    at most WINDOW unacknowledged, so a message's send time is its publish time.
    """
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    var = b"\x00\x04MQTT\x05\xc2\x00\x3c\x00"  # v5; user, password, clean start; 60 s
    payload = _utf8("bench-live-pub") + _utf8("tester") + _utf8(password)
    sock.sendall(b"\x10" + _varint(len(var) + len(payload)) + var + payload)
    rbuf = sock.recv(64)
    assert rbuf[:1] == b"\x20" and rbuf[3] == 0, f"CONNACK refused: {rbuf!r}"
    rbuf = rbuf[2 + rbuf[1]:]
    topics = [_utf8(input_topic(SITE, node, 1)) for node in NODES]
    t0 = int(time.time() * 1000) - T0_BACK_MS
    sent = array("d")  # send time of each seq, Unix seconds
    unacked = 0
    start = time.time()
    end = start + seconds
    i = 0
    while True:
        now = time.time()
        burst = min(100, WINDOW - unacked) if now < end else 0
        if rate and burst:
            burst = min(burst, int((now - start) * rate) - i)
            if burst <= 0:
                time.sleep(0.001)
                burst = 0
                if now < end:
                    continue
        if burst:
            packets = []
            for _ in range(burst):
                b = (f'{{"seq": {i}, "ts": {t0 + i}, "synced": true, "count": {i % 1000}}}'
                     ).encode()
                var = topics[i % len(topics)] + struct.pack("!H", i % 65535 + 1) + b"\x00"
                packets.append(b"\x32" + _varint(len(var) + len(b)) + var + b)
                i += 1
            sock.sendall(b"".join(packets))
            sent.extend([now] * burst)
            unacked += burst
        elif not unacked:
            break
        if unacked >= WINDOW or burst == 0 or select.select([sock], [], [], 0)[0]:
            rbuf += sock.recv(1 << 16)
            pos = 0
            while len(rbuf) - pos >= 2 and len(rbuf) - pos >= 2 + rbuf[pos + 1]:
                if rbuf[pos] == 0x40:  # PUBACK (remaining length < 128 always)
                    unacked -= 1
                pos += 2 + rbuf[pos + 1]
            rbuf = rbuf[pos:]
    sock.sendall(b"\xe0\x00")  # DISCONNECT
    sock.close()
    Path(out).write_bytes(sent.tobytes())


def run_publisher(mq: Mosquitto, work: Path, seconds: float, rate: float) -> array[float]:
    out = work / "sent.bin"
    subprocess.run([sys.executable, __file__, "_publish", str(mq.port),
                    mq.users.passwords["tester"], str(seconds), str(rate), str(out)],
                   check=True)
    sent = array("d")
    sent.frombytes(out.read_bytes())
    return sent


def baseline_backlog(mq: Mosquitto, n: int) -> float:
    """A paho QoS 1 subscriber that only counts: the ceiling for any paho consumer."""
    got = 0
    done_at = 0.0

    def on_message(_c: object, _u: object, _m: object) -> None:
        nonlocal got, done_at
        got += 1
        if got == n:
            done_at = time.perf_counter()

    c = client(mq, "tester", "bench-count")
    session(c, mq)
    c.subscribe(SUBSCRIPTION, qos=1)
    c.disconnect()
    publish_backlog(mq, n)
    c = client(mq, "tester", "bench-count")
    c.on_message = on_message
    t = time.perf_counter()
    session(c, mq)
    c.loop_start()
    while got < n and time.perf_counter() - t < 300:
        time.sleep(0.01)
    end_session(c)
    return n / (done_at - t) if got == n else 0.0


def baseline_live(mq: Mosquitto, work: Path, seconds: float,
                  rate: float) -> tuple[float, int, int, list[float]]:
    """The count-only subscriber while the publisher runs: rate, sent, received, latencies."""
    received = array("d")
    c = client(mq, "tester", "bench-count-live")
    c.on_message = lambda _c, _u, _m: received.append(time.time())
    session(c, mq)
    c.subscribe(SUBSCRIPTION, qos=1)
    c.loop_start()
    time.sleep(0.5)
    sent = run_publisher(mq, work, seconds, rate)
    deadline = time.time() + 120
    while len(received) < len(sent) and time.time() < deadline:
        time.sleep(0.05)
    end_session(c)
    n = min(len(sent), len(received))  # one publisher, one session: delivered in order
    rate = n / (received[n - 1] - sent[0]) if n else 0.0
    return rate, len(sent), len(received), [received[i] - sent[i] for i in range(n)]


class CollectorProc:
    """The real collector, as `hubsense collector` runs it, with its /metrics."""

    def __init__(self, mq: Mosquitto, db: InfluxDB, work: Path, database: str) -> None:
        self.metrics_port = free_port()
        self.conf = work / f"collector-{database}.toml"
        self.conf.write_text(f"""layout = "{LAYOUT}"
[mqtt]
port = {mq.port}
[influx]
url = "{db.url}"
database = "{database}"
[collector]
spool_dir = "{work}/spool-{database}"
metrics_port = {self.metrics_port}
client_id = "bench-{database}"
[collector.mqtt]
username = "collector"
password = "{mq.users.passwords['collector']}"
""")
        self.log = work / f"collector-{database}.log"
        self.influx = InfluxV1(InfluxSettings(url=db.url, database=database))
        self.proc: Child | None = None

    def start(self) -> Child:
        exe = Path(sys.executable).parent / "hubsense"
        self.proc = Child("collector", [str(exe), "collector", "-c", str(self.conf)], self.log,
                          env={"HUBSENSE_CONFIG": ""}).start()
        while "running" not in self.log.read_text():
            time.sleep(0.01)
        return self.proc

    def metric(self, name: str) -> float | None:
        try:
            url = f"http://127.0.0.1:{self.metrics_port}/metrics"
            text = urllib.request.urlopen(url, timeout=2).read().decode()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith(f"hubsense_collector_{name} "):
                return float(line.split()[1])
        return 0.0

    def count(self) -> int:
        s = self.influx.query('SELECT count("seq") FROM "zone_count"')
        return int(s[0].values[0][1]) if s else 0

    def stop(self) -> int:
        """Stop; return peak RSS in kB."""
        assert self.proc is not None
        hwm = _vm_hwm_kb(self.proc.pid)
        self.proc.stop()
        return hwm


def collector_backlog(mq: Mosquitto, db: InfluxDB, work: Path,
                      n: int) -> tuple[float, float, int, int]:
    """Drain rate from the first message and from process start, points written, peak kB."""
    c = CollectorProc(mq, db, work, "backlog")
    c.start()  # create the persistent session, then go away
    c.stop()
    publish_backlog(mq, n)
    t = time.perf_counter()
    c.start()
    first = t
    while (c.metric("messages_total") or 0) == 0 and time.perf_counter() - t < 60:
        first = time.perf_counter()
        time.sleep(0.005)
    # The collector's own count first (cheap), then InfluxDB's (the truth).
    while (c.metric("points_written_total") or 0) < n and time.perf_counter() - t < 300:
        time.sleep(0.01)
    written = c.count()
    while written < n and time.perf_counter() - t < 300:
        time.sleep(0.01)
        written = c.count()
    end = time.perf_counter()
    return n / (end - first), n / (end - t), written, c.stop()


def collector_live(mq: Mosquitto, db: InfluxDB, work: Path, seconds: float,
                   rate: float) -> tuple[float, int, int, list[float], float, int]:
    """Sustained rate, sent, written, latencies, lag after the publisher stopped, peak kB."""
    c = CollectorProc(mq, db, work, f"live{int(rate)}")
    c.start()
    polls: list[tuple[float, int]] = []  # (time, newest seq readable in InfluxDB)
    stop_polling = False

    def poll() -> None:
        since = 0
        while not stop_polling:
            try:
                s = c.influx.query(f'SELECT last("seq") FROM "zone_count" WHERE time >= {since}ms')
            except InfluxError:  # no database before the first write
                s = []
            now = time.time()
            if s:
                since, seq = int(s[0].values[0][0]), int(s[0].values[0][1])
                polls.append((now, seq))
            time.sleep(POLL_S)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    sent = run_publisher(mq, work, seconds, rate)
    published_at = sent[-1]
    deadline = time.time() + 120
    while (not polls or polls[-1][1] < len(sent) - 1) and time.time() < deadline:
        time.sleep(0.05)
    stop_polling = True
    poller.join()
    written = c.count()
    hwm = c.stop()
    latencies: list[float] = []
    done = -1
    for at, seq in polls:
        latencies.extend(at - sent[i] for i in range(done + 1, min(seq, len(sent) - 1) + 1))
        done = max(done, seq)
    last_at = next((at for at, seq in polls if seq >= len(sent) - 1), published_at)
    rate = len(sent) / (last_at - sent[0])
    return rate, len(sent), written, latencies, last_at - published_at, hwm


def _vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(p / 100 * len(s)))] * 1000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    paced = float(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    autosave = int(sys.argv[4]) if len(sys.argv) > 4 else 1  # as shipped: 1 s
    layout = load_layout(LAYOUT)
    users = BrokerUsers.for_site([x.id for x in layout.nodes], admins=("tester",))
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        db = InfluxDB(work / "influx", free_port(), free_port()).start()
        # A broker per run: an earlier run's persistent sessions must not queue this one's.
        brokers: list[Mosquitto] = []

        def broker() -> Mosquitto:
            if brokers:
                brokers[-1].stop()
            brokers.append(Mosquitto(work / f"mq{len(brokers)}", free_port(), users,
                                     autosave_interval_s=autosave).start())
            return brokers[-1]

        try:
            mq = broker()
            base = baseline_backlog(mq, n)
            rate, rate_start, written, hwm = collector_backlog(mq, db, work, n)
            print(f"backlog of {n} messages (QoS 1, broker as shipped)")
            print(f"  paho count-only baseline: {base:,.0f} msg/s")
            print(f"  collector, MQTT to points in InfluxDB: {rate:,.0f} msg/s from its first "
                  f"message ({rate_start:,.0f} from process start), {rate / base:.2f} x "
                  f"baseline; {written} of {n} points ({n - written} lost), "
                  f"peak RSS {hwm / 1024:.0f} MB", flush=True)
            for pub_rate in (0, paced):
                live(broker(), db, work, seconds, pub_rate)
        finally:
            db.stop()
            brokers[-1].stop()


def live(mq: Mosquitto, db: InfluxDB, work: Path, seconds: float, rate: float) -> None:
    b_rate, b_sent, b_got, b_lat = baseline_live(mq, work, seconds, rate)
    c_rate, c_sent, c_written, c_lat, lag, hwm = collector_live(mq, db, work, seconds, rate)
    what = f"{rate:,.0f} msg/s" if rate else "full speed"
    print(f"live, publisher at {what} for {seconds:.0f} s (QoS 1)")
    print(f"  paho count-only baseline: {b_rate:,.0f} msg/s, {b_got} of {b_sent} received, "
          f"publish to on_message p50 {pct(b_lat, 50):.0f} ms p99 {pct(b_lat, 99):.0f} ms")
    print(f"  collector: {c_rate:,.0f} msg/s sustained, {c_written} of {c_sent} points "
          f"({c_sent - c_written} lost), publish to point in InfluxDB p50 {pct(c_lat, 50):.0f}"
          f" ms p99 {pct(c_lat, 99):.0f} ms (+ up to {POLL_S * 1000:.0f} ms poll), all "
          f"written {lag:.2f} s after the last publish, peak RSS {hwm / 1024:.0f} MB",
          flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_publish":
        publisher_main(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5]),
                       sys.argv[6])
    else:
        main()
