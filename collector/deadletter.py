"""Rejected messages kept for inspection, in a JSON-lines file that cannot grow without end."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

from hubsense.contract import RejectedMessage
from hubsense.files import open_private

# Enough to see what a node sent; a flood of huge payloads still fits the bound.
MAX_PAYLOAD_KEPT = 512


class DeadLetters:
    """Append rejections to `path`; past `max_bytes` it becomes `path.1` and starts anew."""

    def __init__(self, path: Path, max_bytes: int = 10 * 1024 * 1024) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._f = open_private(path)  # what nodes sent, for this account alone
        self._size = self._f.tell()

    def add(self, topic: str, payload: bytes, rej: RejectedMessage) -> None:
        kept = payload[:MAX_PAYLOAD_KEPT]
        try:
            body: dict[str, str] = {"payload": kept.decode("utf-8")}
        except UnicodeDecodeError:
            body = {"payload_b64": base64.b64encode(kept).decode()}
        line = json.dumps({"time_ms": int(time.time() * 1000), "reason": rej.reason.value,
                           "detail": rej.detail[:300], "topic": topic[:300],
                           "payload_bytes": len(payload), **body}) + "\n"
        with self._lock:
            if self._size + len(line) > self.max_bytes:
                self._f.close()
                self.path.replace(self.path.with_name(self.path.name + ".1"))
                self._f = open_private(self.path)
                self._size = 0
            self._f.write(line)
            self._f.flush()
            self._size += len(line)

    def close(self) -> None:
        with self._lock:
            self._f.close()
