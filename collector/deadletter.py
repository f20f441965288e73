"""Rejected messages kept for inspection: a JSON-lines file, rotated by logging.

logging's RotatingFileHandler bounds it: past `max_bytes` the file becomes
`<name>.1` and a new one starts, so a flood of bad messages costs at most
twice `max_bytes` of disk. The files are owner-only: they hold what nodes sent.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path

from hubsense.contract import RejectedMessage
from hubsense.files import open_private, private_dir

# Enough to see what a node sent; a flood of huge payloads still fits the bound.
MAX_PAYLOAD_KEPT = 512


class _PrivateRotatingFile(RotatingFileHandler):
    def _open(self) -> TextIOWrapper:
        return open_private(Path(self.baseFilename), self.mode)


class DeadLetters:
    """Append rejections to `path`; past `max_bytes` it becomes `path.1` and starts anew."""

    def __init__(self, path: Path, max_bytes: int = 10 * 1024 * 1024) -> None:
        self.path = path
        private_dir(path.parent)
        self._handler = _PrivateRotatingFile(path, maxBytes=max_bytes, backupCount=1,
                                             encoding="utf-8")
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        # A logger of its own, off the tree: rejections are data, not log lines.
        self._log = logging.Logger(f"dead-letters:{path}")
        self._log.addHandler(self._handler)
        self._log.propagate = False

    def add(self, topic: str, payload: bytes, rej: RejectedMessage) -> None:
        kept = payload[:MAX_PAYLOAD_KEPT]
        try:
            body: dict[str, str] = {"payload": kept.decode("utf-8")}
        except UnicodeDecodeError:
            body = {"payload_b64": base64.b64encode(kept).decode()}
        self._log.error(json.dumps({"time_ms": int(time.time() * 1000), "reason": rej.reason.value,
                                    "detail": rej.detail[:300], "topic": topic[:300],
                                    "payload_bytes": len(payload), **body}))

    def close(self) -> None:
        self._handler.close()
