"""Logging that a flood of bad messages cannot turn into a full disk."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RateLimitedLog:
    """Log at most `burst` lines per key per `period_s`; count what is held back."""

    def __init__(self, logger: logging.Logger, burst: int = 10, period_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._log = logger
        self._burst = burst
        self._period = period_s
        self._clock = clock
        self._windows: dict[str, tuple[float, int, int]] = {}  # key -> (start, logged, held)
        self.suppressed = 0

    def warning(self, key: str, msg: str, *args: object) -> bool:
        """Log unless this key used its burst in the current period; say if logged."""
        return self._emit(logging.WARNING, key, msg, *args)

    def error(self, key: str, msg: str, *args: object) -> bool:
        return self._emit(logging.ERROR, key, msg, *args)

    def _emit(self, level: int, key: str, msg: str, *args: object) -> bool:
        now = self._clock()
        start, logged, held = self._windows.get(key, (now, 0, 0))
        if now - start >= self._period:
            if held:
                self._log.warning("%s: %d more like this were not logged", key, held)
            start, logged, held = now, 0, 0
        if logged < self._burst:
            self._windows[key] = (start, logged + 1, held)
            self._log.log(level, msg, *args)
            return True
        self._windows[key] = (start, logged, held + 1)
        self.suppressed += 1
        return False
