"""People in a zone, reported once a new count has held still (radar ghosts)."""

from time import ticks_diff

_MAX_COUNT = 1000  # the contract's ceiling


class Count:
    """A count input; the driver has `count()`."""

    def __init__(self, n, driver, settle_ms, now=0):
        self.n = n
        self.topic = b""
        self.value = 0
        self._driver = driver
        self._settle = settle_ms
        self._candidate = 0
        self._since = now

    def update(self, now):
        return self.feed(self._driver.count(), now)

    def feed(self, raw, now):
        """Take one reading made at ticks `now`; return True when `value` changed."""
        if raw > _MAX_COUNT:
            raw = _MAX_COUNT
        if raw != self._candidate:
            self._candidate = raw
            self._since = now
        if raw != self.value and ticks_diff(now, self._since) >= self._settle:
            self.value = raw
            return True
        return False

    def fields(self):
        return '"count":%d' % self.value
