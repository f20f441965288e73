"""Firmware unit tests, run by the real MicroPython unix port (one process per test)."""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest

from devstack.nodes import SENSORS_DIR, micropython_exe

HERE = Path(__file__).parent / "firmware"


def _cases() -> list[tuple[str, str]]:
    out = []
    for f in sorted(HERE.glob("test_*.py")):
        tree = ast.parse(f.read_text())
        out += [(f.stem, n.name) for n in tree.body
                if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    return out


CASES = _cases()


def test_cases_were_found() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("module,name", CASES, ids=[f"{m}.{n}" for m, n in CASES])
def test_firmware_unit(module: str, name: str, tmp_path: Path) -> None:
    # 128 KB: these run from source, and compiling the updater takes more than running it.
    run = subprocess.run(
        [micropython_exe(), "-X", "heapsize=128K", str(HERE / "run.py"), module, name],
        capture_output=True, text=True, timeout=30, cwd=HERE,
        env={**os.environ, "MICROPYPATH": f"{HERE}:{SENSORS_DIR}:.frozen",
             "HUBSENSE_TMP": str(tmp_path)},
    )
    assert run.returncode == 0 and f"PASS {module} {name}" in run.stdout, run.stdout + run.stderr
