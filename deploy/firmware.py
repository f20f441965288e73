"""The node firmware as a board runs it: sensors/ compiled to .mpy with mpy-cross.

What a flashable bundle (deploy/provision.py) and an update release
(deploy/releases.py) carry, and what the tests and the demo run on the
MicroPython unix port (devstack.nodes.stage_firmware).
"""

from __future__ import annotations

import ast
import platform
import shutil
import subprocess
import sys
from pathlib import Path

SENSORS_DIR = Path(__file__).resolve().parents[1] / "sensors"
# Stay source on a board: MicroPython runs main.py from its file system. A
# bundle's main.py is bundle/main.py (the boot loader's), put at the top.
SOURCE = ("main.py", "bundle/main.py")
# The boot loader and the board's pins: flashed with a node, never in a release.
NOT_RELEASED = ("main.py", "otaboot.mpy", "board.mpy")
# mpy-cross's -march for native code (the microphone driver): an ESP32, or this host.
ARCHES = ("xtensawin", "x64", "arm64", "armv7emsp", "rv32imc")


class FirmwareError(RuntimeError):
    """The firmware could not be compiled; the message says what to install or fix."""


def find_tool(name: str, package: str) -> str:
    """A command installed beside this Python (a venv's bin/), else on PATH."""
    exe = Path(sys.executable).parent / name
    found = str(exe) if exe.exists() else shutil.which(name)
    if not found:
        raise FirmwareError(f"{name} not found: pip install {package}")
    return found


def host_arch() -> str | None:
    """The -march of the machine this runs on (the unix port's native code)."""
    return {"x86_64": "x64", "aarch64": "arm64"}.get(platform.machine())


def version(source: Path = SENSORS_DIR) -> str:
    """The firmware's FW string, read from the source it would be compiled from."""
    tree = ast.parse((source / "hubsense_node" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and any(isinstance(t, ast.Name) and t.id == "FW" for t in node.targets)):
            return str(node.value.value)
    raise FirmwareError(f"{source}/hubsense_node/__init__.py has no FW = \"…\"")


def compile_tree(dest: Path, source: Path = SENSORS_DIR, arch: str | None = None) -> Path:
    """Compile `source` into `dest` as a board's file system; return `dest`.

    Compiled modules load without the compiler's heap use, which is what lets a
    node run in 32 KB. `main.py` stays source, as on a board.
    """
    if arch is not None and arch not in ARCHES:
        raise FirmwareError(f"unknown -march {arch!r}: one of {', '.join(ARCHES)}")
    tool = find_tool("mpy-cross", "mpy-cross")
    for src in sorted(source.rglob("*.py")):
        rel = src.relative_to(source)
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if rel.as_posix() in SOURCE:
            shutil.copyfile(src, out)
            continue
        # `-s`: name the code by the file a board imports it from
        # (hubsense_node/mqtt.mpy), which is also its __file__: the two names
        # are then one interned string in the heap instead of two.
        mpy = rel.with_suffix(".mpy").as_posix()
        argv = [tool, "-O3", "-s", mpy, "-o", str(dest / mpy)]
        if arch:
            argv.append(f"-march={arch}")  # for @micropython.native code
        run = subprocess.run([*argv, str(src)], capture_output=True, text=True)
        if run.returncode:
            raise FirmwareError(f"mpy-cross {rel}: {run.stderr.strip()}")
    return dest


def release_files(tree: Path) -> dict[str, bytes]:
    """The files of a compiled tree that a release carries (the firmware's modules)."""
    return {p.relative_to(tree).as_posix(): p.read_bytes()
            for p in sorted((tree / "hubsense_node").rglob("*.mpy"))}
