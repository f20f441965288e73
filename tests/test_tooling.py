"""Lint and types are part of the suite, so CI fails on them like on a test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)


def test_ruff_finds_nothing() -> None:
    run = _run("ruff", "check", "--no-cache", ".")
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_strict_passes(tmp_path: Path) -> None:
    # Its own cache directory: two runs at once must not share one.
    run = _run("mypy", "--cache-dir", str(tmp_path / "mypy-cache"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success" in run.stdout
