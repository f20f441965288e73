"""`hubsense simulate`: the day-scenario fleet of real MicroPython nodes against a broker.

The nodes log in as themselves, with the plaintext passwords in a file of
`node:password` lines: the same file docker-compose's broker hashes into its
password file at start (`hubsense broker render`, docs/deploy.md).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hubsense.files import write_private
from hubsense.layout import Layout, load_layout
from hubsense.settings import Settings, SettingsError


def _node_ca(settings: Settings, workdir: Path) -> Path | None:
    """The site CA as nodes carry it (DER), from the services' (PEM) when TLS is on."""
    m = settings.mqtt
    if not m.tls:
        return None
    if m.ca_file is None:
        raise SettingsError("simulated nodes check the broker against the site CA: "
                            "set mqtt.ca_file")
    der = workdir / "ca.der"
    write_private(der, x509.load_pem_x509_certificate(m.ca_file.read_bytes()).public_bytes(
        serialization.Encoding.DER))
    return der


if TYPE_CHECKING:
    from devstack.nodes import Fleet

log = logging.getLogger(__name__)


def read_passwords(path: Path, layout: Layout) -> dict[str, str]:
    """Read `node:password` lines (blank lines and `#` comments skipped) for every node."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read node passwords: {exc.strerror}") from None
    out: dict[str, str] = {}
    for i, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        node, sep, password = line.partition(":")  # as the broker's `IFS=: read user pass`
        if not sep or not node or not password:
            raise SettingsError(f"{path}:{i}: expected node:password")
        out[node] = password
    missing = [n.id for n in layout.nodes if n.id not in out]
    if missing:
        raise SettingsError(f"{path}: no password for nodes {', '.join(missing)}")
    unknown = sorted(set(out) - {n.id for n in layout.nodes})
    if unknown:
        log.warning("%s: nodes not in the layout, ignored: %s", path, ", ".join(unknown))
    return {n.id: out[n.id] for n in layout.nodes}


def simulate(settings: Settings, passwords: Path, workdir: Path, day_s: float = 600.0,
             duration_s: float | None = None, connect_timeout_s: float = 30.0) -> int:
    """Run the fleet until SIGINT/SIGTERM or `duration_s`; return the exit code."""
    from devstack.nodes import DayScenario, start_demo_fleet

    layout = load_layout(settings.layout)
    logins = read_passwords(passwords, layout)
    stop = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    fleet = start_demo_fleet(layout, workdir, settings.mqtt.host, settings.mqtt.port, logins,
                             DayScenario(day_s=day_s), ca_der=_node_ca(settings, workdir))
    where = f"{settings.mqtt.host}:{settings.mqtt.port}"
    print(f"simulating {len(layout.nodes)} nodes of {layout.site.id} against {where} "
          f"(a day every {day_s:g} s; logs in {workdir}/); Ctrl-C stops", flush=True)
    try:
        code = _until_connected(fleet, where, stop, connect_timeout_s)
        if code == 0:
            stop.wait(duration_s)
    finally:
        fleet.stop()
    return code


def _until_connected(fleet: Fleet, where: str, stop: threading.Event, timeout: float) -> int:
    """Wait until every node has connected once; 1, naming why, if none could."""
    deadline = time.monotonic() + timeout
    waiting = set(fleet.nodes)
    while waiting and not stop.is_set() and time.monotonic() < deadline:
        waiting = {n for n in waiting if "mqtt: connected" not in fleet.nodes[n].output()}
        stop.wait(0.2)
    if not waiting or stop.is_set():
        return 0
    why = next((line for n in sorted(waiting) for line in reversed(
        fleet.nodes[n].output().splitlines()) if "mqtt:" in line or "error" in line), "")
    if len(waiting) == len(fleet.nodes):
        print(f"hubsense: no simulated node could connect to the broker at {where} within "
              f"{timeout:g} s" + (f": {why.strip()}" if why else ""), file=sys.stderr)
        return 1
    print(f"hubsense: nodes {', '.join(sorted(waiting))} could not connect to {where} "
          f"yet" + (f": {why.strip()}" if why else ""), file=sys.stderr, flush=True)
    return 0
