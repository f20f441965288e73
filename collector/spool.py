"""Line protocol that InfluxDB could not take yet, kept on disk and bounded.

One file per batch, written whole then renamed, so a crash leaves either the
complete batch or nothing; names sort in arrival order, so replay is in order.
Replaying a batch twice is harmless: every point's time and tags are fixed.
"""

from __future__ import annotations

import os
from pathlib import Path

from hubsense.files import FILE_MODE, private_dir

_SUFFIX = ".lp"


class Spool:
    """A bounded, ordered, crash-safe queue of batches in one directory."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.dir = directory
        self.max_bytes = max_bytes
        private_dir(self.dir)  # what nodes sent, for this account alone
        for tmp in self.dir.glob("*.tmp"):  # a batch half-written when we crashed
            tmp.unlink()
        self._files = sorted(self.dir.glob(f"*{_SUFFIX}"))
        self.bytes = sum(f.stat().st_size for f in self._files)
        self._next = int(self._files[-1].stem) + 1 if self._files else 0

    def __len__(self) -> int:
        return len(self._files)

    def append(self, body: bytes) -> bool:
        """Store one batch durably; False (and nothing stored) when it would not fit."""
        if self.bytes + len(body) > self.max_bytes:
            return False
        path = self.dir / f"{self._next:016d}{_SUFFIX}"
        tmp = path.with_suffix(".tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE),
                       "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        tmp.rename(path)
        dfd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dfd)  # the rename itself must survive a power loss
        finally:
            os.close(dfd)
        self._next += 1
        self._files.append(path)
        self.bytes += len(body)
        return True

    def oldest(self) -> bytes | None:
        return self._files[0].read_bytes() if self._files else None

    def pop(self) -> None:
        """Forget the oldest batch (it has been written)."""
        path = self._files.pop(0)
        self.bytes -= path.stat().st_size
        path.unlink()
