"""Files that hold secrets or traces of a site: owner-only (0600) in owner-only
directories (0700), whatever the umask of whoever starts a service.

Node configs hold passwords, the spool and dead letters hold what nodes sent,
and a key is a key: none of it is for other accounts on the host.
"""

from __future__ import annotations

import os
from io import TextIOWrapper
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) owner-only; tighten it if it exists."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def write_private(path: Path, data: bytes | str) -> Path:
    """Write `path` whole, owner-only from its first byte, replacing it atomically."""
    private_dir(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def open_private(path: Path, mode: str = "a") -> TextIOWrapper:
    """Open a text file for appending or writing, created owner-only."""
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return open(fd, "a" if "a" in mode else "w", encoding="utf-8")
