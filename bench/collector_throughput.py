"""Backlog drain: MQTT QoS 1 to points in InfluxDB, beside a paho count-only baseline.

Run: .venv/bin/python bench/collector_throughput.py [N [AUTOSAVE_S]]
Starts Mosquitto (configured as hubsense ships it) and InfluxDB on free ports in a
temporary directory; queues N messages in a persistent session while the consumer is
away; then times (a) a paho subscriber that only counts and (b) the real collector
process until all N points are in InfluxDB; reports loss and peak memory (VmHWM).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hubsense.contract import input_topic
from hubsense.influx import InfluxV1
from hubsense.layout import load_layout
from hubsense.settings import InfluxSettings
from hubsense.stack.influxdb import InfluxDB
from hubsense.stack.mosquitto import BrokerUsers, Mosquitto
from hubsense.stack.processes import Child, free_port

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = ROOT / "config" / "layout.yaml"
SITE = "hbg-works"
NODES = ["buzz-n", "buzz-s", "meet-a", "meet-b", "lounge"]


def client(mq: Mosquitto, user: str, cid: str, **kw: object) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5, **kw)
    c.username_pw_set(user, mq.users.passwords[user])
    return c


def session(c: mqtt.Client, mq: Mosquitto) -> None:
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    c.connect(mq.host, mq.port, clean_start=False, properties=props)


def publish_backlog(mq: Mosquitto, n: int) -> None:
    pub = client(mq, "tester", "bench-pub")
    pub.max_inflight_messages_set(1000)
    pub.connect(mq.host, mq.port)
    pub.loop_start()
    t0 = int(time.time() * 1000) - n  # one ms apart per node: distinct points
    # In chunks: paho has 65,535 message ids, and its publish slows with a long queue.
    for start in range(0, n, 10_000):
        infos = []
        for i in range(start, min(n, start + 10_000)):
            node = NODES[i % len(NODES)]
            body = json.dumps({"seq": i, "ts": t0 + i, "synced": True, "count": i % 1000})
            infos.append(pub.publish(input_topic(SITE, node, 1), body, qos=1))
        for info in infos:
            info.wait_for_publish(120)
    pub.disconnect()
    pub.loop_stop()


def baseline(mq: Mosquitto, n: int) -> float:
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
    c.subscribe(f"hubsense/v1/{SITE}/node/+/in/+", qos=1)
    c.disconnect()
    publish_backlog(mq, n)
    c = client(mq, "tester", "bench-count")
    c.on_message = on_message
    t = time.perf_counter()
    session(c, mq)
    c.loop_start()
    while got < n and time.perf_counter() - t < 300:
        time.sleep(0.01)
    c.disconnect()
    c.loop_stop()
    return n / (done_at - t) if got == n else 0.0


def collector_run(mq: Mosquitto, db: InfluxDB, work: Path, n: int) -> tuple[float, int, int]:
    conf = work / "collector.toml"
    conf.write_text(f"""layout = "{LAYOUT}"
[mqtt]
port = {mq.port}
[influx]
url = "{db.url}"
database = "bench"
[collector]
spool_dir = "{work}/spool"
[collector.mqtt]
username = "collector"
password = "{mq.users.passwords['collector']}"
""")
    exe = Path(sys.executable).parent / "hubsense"

    def start() -> Child:
        return Child("collector", [str(exe), "collector", "-c", str(conf)],
                     work / "collector.log", env={"HUBSENSE_CONFIG": ""}).start()

    first = start()  # create the persistent session, then go away
    influx = InfluxV1(InfluxSettings(url=db.url, database="bench"))
    while "subscribed" not in first.tail() and not _status_online(first):
        time.sleep(0.1)
    first.stop()
    publish_backlog(mq, n)
    t = time.perf_counter()
    proc = start()
    written = 0
    while time.perf_counter() - t < 300:
        s = influx.query('SELECT count("seq") FROM "zone_count"')
        written = int(s[0].values[0][1]) if s else 0
        if written >= n:
            break
        time.sleep(0.05)
    rate = n / (time.perf_counter() - t)
    hwm = _vm_hwm_kb(proc.pid)
    proc.stop()
    return rate, written, hwm


def _status_online(c: Child) -> bool:
    return "running" in c.tail()


def _vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    layout = load_layout(LAYOUT)
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        users = BrokerUsers.for_site([x.id for x in layout.nodes], admins=("tester",))
        autosave = int(sys.argv[2]) if len(sys.argv) > 2 else 1  # as shipped: 1 s
        mq = Mosquitto(work / "mq", free_port(), users, autosave_interval_s=autosave).start()
        db = InfluxDB(work / "influx", free_port(), free_port()).start()
        try:
            base = baseline(mq, n)
            rate, written, hwm = collector_run(mq, db, work, n)
        finally:
            db.stop()
            mq.stop()
    print(f"messages: {n}")
    print(f"paho count-only baseline: {base:,.0f} msg/s")
    print(f"collector, MQTT to points in InfluxDB: {rate:,.0f} msg/s, "
          f"{written} of {n} points ({n - written} lost), peak RSS {hwm / 1024:.0f} MB")


if __name__ == "__main__":
    main()
