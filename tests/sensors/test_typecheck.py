"""The firmware type-checks against the ESP32 port's API, not CPython's."""

from __future__ import annotations

import importlib.metadata as md
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.nodes import SENSORS_DIR

STUBS = ("micropython-esp32-stubs", "micropython-stdlib-stubs")


@pytest.fixture(scope="module")
def typings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Lay the installed stubs out as mypy wants them: a typeshed with `stdlib/`, plus modules."""
    dest = tmp_path_factory.mktemp("typings")
    for name in STUBS:
        try:
            files = md.distribution(name).files or []
        except md.PackageNotFoundError:
            pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
        for f in files:
            if f.suffix == ".pyi" or f.name == "VERSIONS":
                out = dest / f
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(str(f.locate())), out)
    return dest


def _mypy(typings: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(SENSORS_DIR / "mypy.ini"),
         "--custom-typeshed-dir", str(typings), "--no-incremental", *targets],
        capture_output=True, text=True, timeout=300, cwd=SENSORS_DIR.parent,
        env={"MYPYPATH": str(typings), "PATH": "/usr/bin:/bin"},
    )


def test_firmware_type_checks_against_esp32_stubs(typings: Path) -> None:
    run = _mypy(typings, "sensors")
    assert run.returncode == 0, run.stdout + run.stderr


def test_stubs_reject_what_an_esp32_lacks(typings: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import time\ntime.ticks_ms()\ntime.perf_counter()\ntime.monotonic()\n")
    run = _mypy(typings, str(probe))
    assert run.returncode == 1
    assert '"perf_counter"' in run.stdout and '"monotonic"' in run.stdout
    assert "ticks_ms" not in run.stdout
