"""Occupied / free from a motion or distance detector, robust to flicker."""

from time import ticks_diff


class Presence:
    """A desk or zone input. Settle: a detection must last `settle_ms` to count.
    Hold: stay occupied `hold_ms` after the last detection (a PIR sees motion,
    not people). The driver has `value()`: 1 while it detects."""

    def __init__(self, n, driver, settle_ms, hold_ms, now=0):
        self.n = n
        self.topic = b""
        self.present = False
        self._driver = driver
        self._settle = settle_ms
        # Never free faster than a flicker could settle.
        self._hold = max(hold_ms, settle_ms)
        self._raw = False
        self._since = now
        self._seen = now

    def update(self, now):
        return self.feed(self._driver.value(), now)

    def feed(self, raw, now):
        """Take one reading made at ticks `now`; return True when `present` changed."""
        raw = bool(raw)
        if raw != self._raw:
            self._raw = raw
            self._since = now
        if raw:
            if self.present:
                self._seen = now
            elif ticks_diff(now, self._since) >= self._settle:
                self._seen = now
                self.present = True
                return True
        elif self.present and ticks_diff(now, self._seen) >= self._hold:
            self.present = False
            return True
        return False

    def fields(self):
        return '"present":true' if self.present else '"present":false'
