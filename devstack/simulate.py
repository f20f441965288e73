"""`hubsense simulate`: the day-scenario fleet of real MicroPython nodes against a broker.

The nodes log in as themselves, with the plaintext passwords in a file of
`node:password` lines: the same file docker-compose's broker hashes into its
password file at start (deploy/mosquitto/entrypoint.sh, docs/deploy.md).
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from hubsense.layout import Layout, load_layout
from hubsense.settings import Settings, SettingsError

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
             duration_s: float | None = None) -> int:
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
                             DayScenario(day_s=day_s))
    print(f"simulating {len(layout.nodes)} nodes of {layout.site.id} against "
          f"{settings.mqtt.host}:{settings.mqtt.port} (a day every {day_s:g} s; "
          f"logs in {workdir}/); Ctrl-C stops", flush=True)
    try:
        stop.wait(duration_s)
    finally:
        fleet.stop()
    return 0
