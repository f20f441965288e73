"""Fixtures for the API: a real uvicorn on a free port, fed by a real Mosquitto.

State is published retained as the `tester` superuser, exactly as the
collector publishes it: that is the contract, not a mock of it.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
import uvicorn
from fastapi import FastAPI
from paho.mqtt.enums import CallbackAPIVersion
from playwright.sync_api import Browser, Page
from pydantic import SecretStr

from api.main import create_app
from api.main import server as api_server
from devstack.mosquitto import Mosquitto
from devstack.processes import Child, free_port, wait_until
from hubsense.contract import collector_status_topic, state_topic
from hubsense.layout import Layout
from hubsense.settings import ApiSettings, Credentials, MqttSettings, Settings, StaffToken
from hubsense.state import ZoneState, ZoneStatus
from tests.conftest import EXAMPLE_LAYOUT, ROOT, eventually

__all__ = ["eventually"]  # the API tests import it from here


class Publisher:
    """Publishes retained state as the collector would, logged in as `tester`."""

    def __init__(self, broker: Mosquitto, site: str) -> None:
        self.site = site
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="tester-pub")
        self.client.username_pw_set(*broker.users.take_admin())
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes | str) -> None:
        self.client.publish(topic, payload, qos=1, retain=True).wait_for_publish(5)

    def collector(self, status: str) -> None:
        self.publish(collector_status_topic(self.site), status)

    def zone(self, state: ZoneState) -> None:
        self.publish(state_topic(self.site, "zone", state.id), state.model_dump_json())

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker: Mosquitto, layout: Layout) -> Iterator[Publisher]:
    pub = Publisher(broker, layout.site.id)
    yield pub
    pub.close()


def zone_state(layout: Layout, zone_id: str, status: ZoneStatus = ZoneStatus.FREE,
               occupied: int | None = 0, **extra: Any) -> ZoneState:
    """A zone state shaped like the collector's, for a zone of the example layout."""
    zone = layout.zone(zone_id)
    assert zone is not None
    desks = len(layout.desks_in(zone_id))
    fields: dict[str, Any] = {
        "id": zone.id, "name": zone.name, "kind": zone.kind, "seatable": True,
        "capacity": zone.capacity, "status": status, "occupied": occupied,
        "desks_total": desks, "desks_free": desks - (occupied or 0) if desks else None,
        "desks_unknown": 0, "stale": False, "updated_ms": int(time.time() * 1000),
        "last_seen_ms": int(time.time() * 1000),
    }
    return ZoneState(**{**fields, **extra})


@pytest.fixture
def api_settings(broker: Mosquitto) -> Settings:
    login = Credentials(username="api", password=SecretStr(broker.users.passwords["api"]))
    return Settings(mqtt=MqttSettings(host=broker.host, port=broker.port),
                    api=ApiSettings(port=free_port(), mqtt=login))


@dataclass
class ApiServer:
    """The real app under uvicorn in a thread, on a free port."""

    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread
    url: str
    sock: socket.socket

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
        assert not self.thread.is_alive(), "uvicorn did not stop"


def start_api(settings: Settings, layout: Layout, port: int = 0) -> ApiServer:
    """The app on a socket bound here, on a port the kernel picks (or `port`, to come
    back where a stopped one was): no other test run on the machine can take the port
    between choosing it and listening on it."""
    app = create_app(settings, layout)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.api.host, port))
    port = sock.getsockname()[1]
    server = api_server(app, settings.api.host, port, log_level="warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn",
                              daemon=True)
    thread.start()
    wait_until(lambda: server.started, 10, "api", thread.is_alive)
    return ApiServer(app, server, thread, f"http://{settings.api.host}:{port}", sock)


@pytest.fixture
def api(api_settings: Settings, layout: Layout) -> Iterator[ApiServer]:
    server = start_api(api_settings, layout)
    yield server
    server.stop()


@dataclass
class ApiProcess:
    """`hubsense api -c FILE` as its own process: its memory and its log can be read."""

    child: Child
    url: str
    port: int

    def memory_kb(self) -> dict[str, int]:
        """VmRSS and VmHWM (the peak) of the process, in kB, from /proc."""
        lines = Path(f"/proc/{self.child.pid}/status").read_text().splitlines()
        return {k: int(v.split()[0]) for k, v in (ln.split(":", 1) for ln in lines)
                if k in ("VmRSS", "VmHWM")}

    def log(self) -> str:
        return self.child.log.read_text(errors="replace")


def start_api_process(workdir: Path, broker: Mosquitto, tokens: Sequence[StaffToken] = (),
                      **api: object) -> ApiProcess:
    """Run the API as a deployment does, with `api` keys added to its [api] table."""
    port = free_port()
    keys = "".join(f"{k} = {json.dumps(v)}\n" for k, v in api.items())
    staff = "".join(f'[[api.tokens]]\nname = "{t.name}"\n'
                    f"token = {json.dumps(t.token.get_secret_value())}\n"
                    f"scopes = {json.dumps(t.scopes)}\n" for t in tokens)
    conf = workdir / "hubsense.toml"
    conf.write_text(f"""layout = {json.dumps(str(EXAMPLE_LAYOUT))}
[mqtt]
host = "{broker.host}"
port = {broker.port}
[api]
host = "127.0.0.1"
port = {port}
{keys}[api.mqtt]
username = "api"
password = {json.dumps(broker.users.passwords["api"])}
{staff}""")
    child = Child("api", [sys.executable, "-m", "cli", "api", "-c", str(conf)],
                  workdir / "api.log", cwd=ROOT).start()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(ready, 20, "api process", child.alive)
    except Exception:
        child.stop()
        raise
    return ApiProcess(child, url, port)


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "api"
def open_page(browser: Browser, url: str,
              viewport: dict[str, int] | None = None) -> Page:
    """Open `url` in a fresh context (no shared storage), 1920x1080 unless told."""
    size = viewport or {"width": 1920, "height": 1080}
    page = browser.new_context(viewport=size).new_page()  # type: ignore[arg-type]
    page.goto(url)
    return page
