"""What a real Home Assistant shows for every hubsense entity, scenario by scenario.

    .venv/bin/python -m bench.homeassistant_check --ha-venv /work/ha-venv

Opt-in and slow (a minute and a half; the venv: docs/home-assistant.md).
Starts on loopback Mosquitto as shipped (deploy/broker.py, with a TLS listener
and a site CA), InfluxDB, a real collector and Home Assistant, which logs in to
the broker as `homeassistant` over TLS, verifying the site CA. The example
site's nodes are played by an admin login. For each scenario it waits until
`/api/states` shows what every hubsense entity should (or a timeout), prints
the table and exits 1 on any mismatch. It also checks that the homeassistant
login can announce Home Assistant but cannot publish on hubsense's topics.

Every node's heartbeat is the layout's minimum (5 s), so a silent node is stale
after 12.5 s, and the collector beats every 4 s, so Home Assistant takes it
for hung after 10 s (`expire_after`, and its heartbeat's age).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr

from bench.homeassistant import HomeAssistant
from collector.discovery import zone_entities
from collector.service import Collector
from devstack.influxdb import InfluxDB
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.processes import StackError, free_port
from hubsense.contract import collector_status_topic, input_topic, node_topic, state_topic
from hubsense.layout import Layout, load_layout
from hubsense.settings import (
    CollectorSettings,
    Credentials,
    InfluxSettings,
    MqttSettings,
    Settings,
    StateSettings,
)

ROOT = Path(__file__).resolve().parent.parent
NODE_HEARTBEAT_S = 5
BEAT_S = 4.0  # collector.heartbeat_s
STALE_FACTOR = 2.5
MAX_AGE_S = STALE_FACTOR * BEAT_S  # the discovery configs' expire_after
SETTLE_S = STALE_FACTOR * NODE_HEARTBEAT_S + 15  # a node going stale, and HA hearing it

# What each node reports while it is live: input number -> value fields.
READINGS: dict[str, dict[int, dict[str, Any]]] = {
    "buzz-n": {1: {"count": 5}, 2: {"laeq": 61.5, "lamax": 70.0}},
    "buzz-s": {1: {"count": 0}, 2: {"laeq": 42.0, "lamax": 50.0}},
    "desk-q1": {n: {"present": False} for n in range(1, 5)},
    "desk-q2": {n: {"present": False} for n in range(1, 5)},
    "meet-a": {1: {"count": 3}},
    "meet-b": {1: {"count": 0}},
    "lounge": {1: {"count": 2}},
}
# What Home Assistant should show for them, zone by zone.
FRESH: dict[str, dict[str, str]] = {
    "buzz-north": {"occupancy": "on", "people": "5", "noise": "lively", "laeq": "61.5"},
    "buzz-south": {"occupancy": "off", "people": "0", "noise": "calm", "laeq": "42.0"},
    "quiet": {"occupancy": "off", "people": "0"},
    "meet-a": {"occupancy": "on", "people": "3"},
    "meet-b": {"occupancy": "off", "people": "0"},
    "lounge": {"occupancy": "on", "people": "2"},
}
# A zone that is unknown or stale. The noise sensor cannot be unknown in HA 2024.3.
UNKNOWN = {"occupancy": "unknown", "people": "unknown", "noise": "unavailable",
           "laeq": "unknown"}
SHORT = {"unknown": "unk", "unavailable": "n/a"}


def slug(text: str) -> str:
    """Home Assistant's entity id slug, for the ASCII names of the example layout."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def entity_ids(layout: Layout) -> dict[tuple[str, str], str]:
    """(zone, entity key) -> the entity id Home Assistant gives it (device name + name)."""
    return {(z.id, e.key): f"{e.component}.{slug(f'{z.name.en} {e.name}')}"
            for z in layout.zones for e in zone_entities(layout, z)}


def expect(ids: dict[tuple[str, str], str], **zones: dict[str, str]) -> dict[str, str]:
    """Every entity fresh, except the zones given (keyword: zone id with _ for -)."""
    per_zone = {**FRESH, **{k.replace("_", "-"): v for k, v in zones.items()}}
    return {eid: per_zone[z][key] for (z, key), eid in ids.items()}


def everywhere(ids: dict[tuple[str, str], str], state: str | dict[str, str]) -> dict[str, str]:
    return {eid: state if isinstance(state, str) else state[key] for (_z, key), eid in ids.items()}


class Admin:
    """An MQTT superuser (its own login: the broker makes the login the client id)."""

    def __init__(self, broker: Mosquitto) -> None:
        self.seen: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"c-{uuid.uuid4().hex}")
        self.client.username_pw_set(*broker.users.take_admin())
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.seen.append((msg.topic, bytes(msg.payload)))

    def got(self, topic: str, payload: bytes) -> bool:
        with self._lock:
            return (topic, payload) in self.seen

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Nodes:
    """The site's nodes: each live one re-sends its readings every second, as firmware does."""

    def __init__(self, broker: Mosquitto, site: str) -> None:
        self.site = site
        self.out = Admin(broker)
        self.readings = {node: dict(inputs) for node, inputs in READINGS.items()}
        self.silent: set[str] = set()
        self._seq = 0
        self._stop = threading.Event()
        for node in self.readings:
            self.out.publish(node_topic(site, node, "status"), "online", retain=True)
        self._thread = threading.Thread(target=self._run, name="nodes", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            for node, inputs in self.readings.items():
                if node in self.silent:
                    continue
                for n, values in inputs.items():
                    self._seq += 1
                    body = {"seq": self._seq, "ts": int(time.time() * 1000), "synced": True,
                            **values}
                    self.out.client.publish(input_topic(self.site, node, n), json.dumps(body),
                                            qos=1)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.out.close()


class Collectors:
    """The collector under test: stopped, started again, or left hanging."""

    def __init__(self, settings: Settings, layout: Layout) -> None:
        self.settings = settings
        self.layout = layout
        self.running: Collector | None = None

    def start(self) -> Collector:
        self.running = Collector(self.settings, self.layout).start()
        return self.running

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None

    def hang(self) -> None:
        """Stop deriving state but stay connected and "online", as a deadlock would."""
        assert self.running is not None and self.running.live is not None
        self.running.live.stop()


@dataclass
class Result:
    name: str
    want: dict[str, str]
    got: dict[str, str]
    seconds: float
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.got == self.want


def shown(ha: HomeAssistant, ids: list[str]) -> dict[str, str]:
    states = ha.states()
    return {eid: states[eid]["state"] if eid in states else "(missing)" for eid in ids}


def settle(ha: HomeAssistant, name: str, want: dict[str, str], timeout: float) -> Result:
    """Poll Home Assistant until it shows `want` or `timeout` passes."""
    start = time.monotonic()
    while True:
        got = shown(ha, list(want))
        if got == want or time.monotonic() - start > timeout:
            return Result(name, want, got, time.monotonic() - start)
        time.sleep(0.5)


def connected_as(broker: Mosquitto, login: str) -> str:
    """How the broker's log says `login` connected: the port, with the protocol."""
    log = (broker.workdir / "mosquitto.log").read_text(errors="replace")
    for m in re.finditer(rf"New client connected from (\S+) as {login} \(([^)]*)\)", log):
        port = re.search(rf"New connection from {re.escape(m.group(1))} on port (\d+)", log)
        if port:
            tls = " (TLS)" if int(port.group(1)) == broker.tls_port else " (plain)"
            return f"port {port.group(1)}{tls}, {m.group(2)}"
    return "not found in the broker's log"


ACL = list[tuple[str, bool, str]]


def check_acl(ha: HomeAssistant, broker: Mosquitto, site: str) -> ACL:
    """Publish through Home Assistant as its login; the broker must drop all but its status."""
    watch = Admin(broker)
    watch.client.subscribe([(f"hubsense/v1/{site}/#", 1), ("homeassistant/status", 1)])
    time.sleep(1)
    forged_zone = json.dumps({"id": "meet-a", "status": "free", "occupied": 0, "forged": True})
    forged_obs = json.dumps({"seq": 1, "ts": int(time.time() * 1000), "synced": True, "count": 0})
    tries = [  # (what, topic, payload, retain, the broker should pass it)
        ("announce Home Assistant (homeassistant/status)", "homeassistant/status",
         f"online-{uuid.uuid4().hex[:6]}", False, True),
        ("forge a zone state (retained)", state_topic(site, "zone", "meet-a"), forged_zone,
         True, False),
        ("forge the collector's status", collector_status_topic(site), "offline", True, False),
        ("forge a node observation", input_topic(site, "meet-a", 1), forged_obs, False, False),
    ]
    for _what, topic, payload, retain, _ok in tries:
        ha.call("mqtt", "publish", {"topic": topic, "payload": payload, "retain": retain,
                                    "qos": 1})
    time.sleep(3)
    out = []
    for what, topic, payload, _retain, passes in tries:
        arrived = watch.got(topic, payload.encode())
        out.append((what, arrived == passes, "delivered" if arrived else "dropped by the broker"))
    late = Admin(broker)  # a new subscriber sees what is retained now
    late.client.subscribe(state_topic(site, "zone", "meet-a"), 1)
    time.sleep(1)
    forged_kept = late.got(state_topic(site, "zone", "meet-a"), forged_zone.encode())
    out.append(("retained zone state is still the collector's", not forged_kept,
                "forged one retained" if forged_kept else "unchanged"))
    late.close()
    watch.close()
    return out


def walk(ha: HomeAssistant, entry: str, broker: Mosquitto, nodes: Nodes,
         collectors: Collectors, ids: dict[tuple[str, str], str]) -> tuple[list[Result], ACL]:
    """The scenarios, in order; each starts from the one before."""
    collectors.start()
    results = [settle(ha, "all fresh", expect(ids), 60)]
    acl = check_acl(ha, broker, nodes.site)
    results.append(settle(ha, "after Home Assistant's refused publishes", expect(ids), 5))

    nodes.silent = {"buzz-n"}
    results.append(settle(ha, "buzz-n silent: buzz-north stale",
                          expect(ids, buzz_north=UNKNOWN), SETTLE_S))
    nodes.silent |= {"desk-q2"}
    quiet_free = {"occupancy": "unknown", "people": "unknown"}
    results.append(settle(ha, "desk-q2 silent, desk-q1's desks free: quiet stale",
                          expect(ids, buzz_north=UNKNOWN, quiet=quiet_free), SETTLE_S))
    nodes.readings["desk-q1"][1] = {"present": True}
    results.append(settle(ha, "...and q-01 taken: someone is there, the count a lower bound",
                          expect(ids, buzz_north=UNKNOWN,
                                 quiet={"occupancy": "on", "people": "unknown"}), SETTLE_S))
    nodes.silent = set(READINGS)
    results.append(settle(ha, "all nodes silent", everywhere(ids, UNKNOWN), SETTLE_S))
    nodes.readings["desk-q1"][1] = {"present": False}
    nodes.silent = set()
    results.append(settle(ha, "all fresh again", expect(ids), SETTLE_S))

    began = time.monotonic()
    ha.reload(entry)
    results.append(settle(ha, "Home Assistant reloads MQTT", expect(ids), MAX_AGE_S))
    took = time.monotonic() - began

    collectors.stop()
    results.append(settle(ha, "collector stopped", everywhere(ids, "unavailable"), 20))
    # A reading that changes while it is away: only the new collector can show it.
    nodes.readings["meet-a"][1] = {"count": 4}
    collectors.start()
    results.append(settle(ha, "collector back (meet-a now 4 people)",
                          expect(ids, meet_a={"occupancy": "on", "people": "4"}), 30))

    collectors.hang()
    hung = settle(ha, "collector hangs: connected, 'online', publishing nothing",
                  everywhere(ids, "unavailable"), MAX_AGE_S + 10)
    hung.note = f"(expire_after {MAX_AGE_S:.0f} s)"
    results.append(hung)

    # A retained heartbeat older than the bound, delivered at once: unavailable sooner
    # than expire_after could make them, and later than values took in the reload above.
    began = time.monotonic()
    ha.reload(entry)
    time.sleep(took + 2)
    got = shown(ha, list(ids.values()))
    seconds = time.monotonic() - began
    restored = [e for e, st in ha.states().items()
                if e in got and st["attributes"].get("restored")]
    late = Result("Home Assistant reloads MQTT while the collector hangs",
                  everywhere(ids, "unavailable"), got, seconds,
                  f"(values took {took:.1f} s to show in reload 8; expire_after "
                  f"{MAX_AGE_S:.0f} s)")
    if restored or seconds >= MAX_AGE_S:  # then "unavailable" proves nothing
        late.got = {**got, "(timing)": f"restored: {restored}, read after {seconds:.1f} s"}
    results.append(late)
    collectors.stop()
    return results, acl


def cell(state: str) -> str:
    return SHORT.get(state, state)


def table(results: list[Result], ids: dict[tuple[str, str], str]) -> str:
    lines = [f"{i:>2}. {'ok  ' if r.ok else 'FAIL'} {r.name}  [{r.seconds:.1f} s]"
             + (f"  {r.note}" if r.note else "") for i, r in enumerate(results, 1)]
    width = max(len(e) for e in ids.values())
    head = " ".join(f"{i:>6}" for i in range(1, len(results) + 1))
    lines += ["", f"{'entity':<{width}} {head}"]
    for eid in ids.values():
        row = []
        for r in results:
            got = r.got.get(eid, "(missing)")
            row.append(f"{cell(got) + ('' if got == r.want.get(eid) else '!'):>6}")
        lines.append(f"{eid:<{width}} {' '.join(row)}")
    lines.append("unk = unknown, n/a = unavailable, ! = not what it should be")
    for i, r in enumerate(results, 1):
        for eid, want in r.want.items():
            if r.got.get(eid) != want:
                lines.append(f"  {i}. {eid}: shows {r.got.get(eid)!r}, should show {want!r}")
        for k in set(r.got) - set(r.want):
            lines.append(f"  {i}. {k}: {r.got[k]}")
    return "\n".join(lines)


def example_layout(path: Path) -> Path:
    """The example layout with every heartbeat at the minimum, to make staleness quick."""
    doc = yaml.safe_load((ROOT / "config" / "layout.yaml").read_text())
    for node in doc["nodes"]:
        node["heartbeat_s"] = NODE_HEARTBEAT_S
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ha-venv", type=Path, required=True, help="venv with homeassistant")
    ap.add_argument("--keep", type=Path, help="keep every file and log in this directory")
    args = ap.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="hubsense-ha-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        failed = run(args.ha_venv, workdir)
    except StackError as exc:
        print(f"could not run the check: {exc}\nfiles in {workdir}", file=sys.stderr)
        return 2
    if failed or args.keep:
        print(f"files in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


def run(ha_venv: Path, workdir: Path) -> bool:
    """Start everything, walk the scenarios, print the table; True if anything failed."""
    layout_path = example_layout(workdir / "layout.yaml")
    layout = load_layout(layout_path)
    site = layout.site.id
    ids = entity_ids(layout)
    began = time.monotonic()
    with ExitStack() as stack:
        users = BrokerUsers.for_site(site, [n.id for n in layout.nodes],
                                     admins=tuple(f"check-{i}" for i in range(6)))
        broker = Mosquitto(workdir / "mosquitto", free_port(), users, tls_port=free_port())
        stack.callback(broker.stop)
        broker.start()
        influx = InfluxDB(workdir / "influxdb", free_port(), free_port())
        stack.callback(influx.stop)
        influx.start()
        assert broker.tls_port is not None
        settings = Settings(
            layout=layout_path,
            mqtt=MqttSettings(port=broker.tls_port, tls=True, ca_file=broker.tls.ca_crt),
            influx=InfluxSettings(url=influx.url, database="ha_check"),
            state=StateSettings(stale_factor=STALE_FACTOR),
            collector=CollectorSettings(
                mqtt=Credentials(username="collector",
                                 password=SecretStr(users.passwords["collector"])),
                evaluate_interval_s=0.2, heartbeat_s=BEAT_S,
                spool_dir=workdir / "collector" / "spool"),
        )

        collectors = Collectors(settings, layout)
        stack.callback(collectors.stop)
        nodes = Nodes(broker, site)
        stack.callback(nodes.close)
        ha = HomeAssistant(ha_venv, workdir / "homeassistant")
        stack.callback(ha.stop)
        version = ha.version()
        ha.start()
        ha.onboard()
        entry = ha.add_mqtt(broker.host, broker.tls_port, "homeassistant",
                            users.passwords["homeassistant"], broker.tls.ca_crt)
        print(f"Home Assistant {version} at {ha.url}; broker login 'homeassistant', "
              f"{connected_as(broker, 'homeassistant')}", flush=True)
        results, acl = walk(ha, entry, broker, nodes, collectors, ids)
        unexpected = sorted(set(json.loads(ha.render(
            "{{ integration_entities('mqtt') | list | tojson }}"))) ^ set(ids.values()))
    print(table(results, ids))
    print("\nThe homeassistant login on the broker:")
    for what, ok, how in acl:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}: {how}")
    if unexpected:
        print(f"\nFAIL MQTT entities missing or not expected: {unexpected}")
    print(f"\n{time.monotonic() - began:.0f} s")
    return bool(unexpected or any(not r.ok for r in results)
                or any(not ok for _w, ok, _h in acl))


if __name__ == "__main__":
    sys.exit(main())
