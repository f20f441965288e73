"""The stack the API benchmarks run against: real Mosquitto and `hubsense api` on loopback.

Used as `with running_api() as stack:`; everything stops and its files go
when the block ends. Run the benchmarks as modules from the repository root
(`.venv/bin/python -m bench.api_zones`), so this module is importable.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.processes import Child, free_port, wait_until
from hubsense.contract import collector_status_topic, state_topic
from hubsense.layout import Layout, load_layout
from hubsense.state import SEATABLE, ZoneState, ZoneStatus

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = ROOT / "config" / "layout.yaml"
BENCH_USER = "bench"  # a broker superuser that publishes as the collector would


@dataclass
class Stack:
    layout: Layout
    broker: Mosquitto
    base_url: str
    port: int

    def publisher(self, client_id: str) -> mqtt.Client:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        c.username_pw_set(BENCH_USER, self.broker.users.passwords[BENCH_USER])
        c.connect(self.broker.host, self.broker.port)
        c.loop_start()
        return c

    def publish_zone(self, state: ZoneState, client_id: str = "bench-pub") -> None:
        c = self.publisher(client_id)
        topic = state_topic(self.layout.site.id, "zone", state.id)
        c.publish(topic, state.model_dump_json(), 1, True).wait_for_publish(5)
        c.disconnect()
        c.loop_stop()


def zone(layout: Layout, zone_id: str, status: ZoneStatus, occupied: int) -> ZoneState:
    """A zone state as the collector publishes it."""
    z = layout.zone(zone_id)
    assert z is not None
    desks = len(layout.desks_in(z.id))
    now = int(time.time() * 1000)
    return ZoneState(id=z.id, name=z.name, kind=z.kind, seatable=z.kind in SEATABLE,
                     capacity=z.capacity, status=status, occupied=occupied,
                     desks_total=desks, desks_free=max(0, desks - occupied) if desks else None,
                     desks_unknown=0, stale=False, updated_ms=now, last_seen_ms=now)


def _publish_site(stack: Stack) -> None:
    c = stack.publisher("bench-site")
    site = stack.layout.site.id
    for z in stack.layout.zones:
        state = zone(stack.layout, z.id, ZoneStatus.FREE, 1)
        c.publish(state_topic(site, "zone", z.id), state.model_dump_json(), 1, True)
    c.publish(collector_status_topic(site), "online", 1, True).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()


@contextmanager
def running_api() -> Iterator[Stack]:
    """Start Mosquitto and `hubsense api` (rate limit off) with a whole site's state."""
    layout = load_layout(LAYOUT)
    with tempfile.TemporaryDirectory(prefix="hubsense-bench-") as tmp:
        work = Path(tmp)
        users = BrokerUsers.for_site([n.id for n in layout.nodes], admins=(BENCH_USER,))
        broker = Mosquitto(work / "mosquitto", free_port(), users).start()
        api: Child | None = None
        try:
            port = free_port()
            stack = Stack(layout, broker, f"http://127.0.0.1:{port}", port)
            _publish_site(stack)
            config = work / "api.toml"
            config.write_text(
                f'layout = "{LAYOUT}"\n[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\n'
                f'[api]\nport = {port}\nrate_limit_per_min = 0\n'
                f'[api.mqtt]\nusername = "api"\npassword = "{users.passwords["api"]}"\n')
            api = Child("api", [sys.executable, "-m", "cli", "api", "-c", str(config)],
                        work / "api.log", cwd=ROOT, die_with_parent=True).start()

            def live() -> bool:
                try:
                    r = httpx.get(f"{stack.base_url}/api/v1/zones", timeout=1)
                    return bool(r.json()["live"])
                except (httpx.HTTPError, ValueError, KeyError):
                    return False

            wait_until(live, 20, "api with live state", api.alive)
            yield stack
        finally:
            if api:
                api.stop()
            broker.stop()
