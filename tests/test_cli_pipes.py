"""`hubsense … | head`: a reader that goes away ends the command quietly, as Unix tools do."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import EXAMPLE_LAYOUT, ROOT


def test_a_closed_pipe_ends_the_command_quietly() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "cli", "check-layout", str(EXAMPLE_LAYOUT)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes a byte
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(60) == 141, err
    assert err == ""
