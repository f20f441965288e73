"""Fixtures that start the real services: Mosquitto, InfluxDB, MicroPython.

Every fixture picks free ports and a temporary directory, so two test runs on
one machine never collide.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import Browser, sync_playwright

from devstack.influxdb import InfluxDB
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.processes import free_port
from devstack.runner import Stack, StackOptions
from hubsense.layout import Layout, load_layout
from hubsense.settings import InfluxSettings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_LAYOUT = ROOT / "config" / "layout.yaml"
# Broker superusers for tests that publish as anyone. The broker makes the login
# the client id, so every test client takes one of its own (BrokerUsers.take_admin).
ADMINS = tuple(f"tester-{i}" for i in range(8))

T = TypeVar("T")


def eventually(check: Callable[[], T | None], timeout: float = 5.0, what: str = "") -> T:
    """Poll `check` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.02)
    pytest.fail(f"not within {timeout} s: {what} (last: {last!r})")


@pytest.fixture(scope="session")
def layout() -> Layout:
    return load_layout(EXAMPLE_LAYOUT)


@pytest.fixture
def broker(tmp_path: Path, layout: Layout) -> Iterator[Mosquitto]:
    users = BrokerUsers.for_site(layout.site.id, [n.id for n in layout.nodes], admins=ADMINS)
    mq = Mosquitto(tmp_path / "mosquitto", free_port(), users, tls_port=free_port()).start()
    yield mq
    mq.stop()


@pytest.fixture
def influxdb(tmp_path: Path) -> Iterator[InfluxDB]:
    db = InfluxDB(tmp_path / "influxdb", free_port(), free_port()).start()
    yield db
    db.stop()


@pytest.fixture
def influx_settings(influxdb: InfluxDB) -> InfluxSettings:
    return InfluxSettings(url=influxdb.url, database=f"t_{uuid.uuid4().hex[:8]}")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """The whole stack as `hubsense up` runs it (no simulated nodes), on free ports."""
    opts = StackOptions(workdir=tmp_path / "stack", layout=EXAMPLE_LAYOUT,
                        mqtt_port=free_port(), influx_port=free_port(),
                        influx_rpc_port=free_port(), api_port=free_port(), nodes=False)
    s = Stack(opts)
    try:
        s.start()
        yield s
    finally:
        s.stop()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, never a downloaded one."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()
