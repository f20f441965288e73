"""A reading that is reported only once it has held still (radar ghosts, flicker)."""

from time import ticks_diff

_MAX_COUNT = 1000  # the contract's ceiling


class Steady:
    """Accept a new value after it has been read unchanged for `settle_ms`."""

    def __init__(self, settle_ms, value=0, now=0):
        self.value = value
        self._settle = settle_ms
        self._candidate = value
        self._since = now

    def update(self, raw, now):
        """Feed one reading taken at ticks `now`; return True when `value` changed."""
        if raw != self._candidate:
            self._candidate = raw
            self._since = now
        if raw != self.value and ticks_diff(now, self._since) >= self._settle:
            self.value = raw
            return True
        return False


class CountInput:
    """People in a zone (driver: `count()`), reported once a new count held still."""

    def __init__(self, n, driver, settle_ms, now=0):
        self.n = n
        self.topic = b""
        self._driver = driver
        self._logic = Steady(settle_ms, 0, now)

    def update(self, now):
        c = self._driver.count()
        return self._logic.update(c if c < _MAX_COUNT else _MAX_COUNT, now)

    def fields(self):
        return '"count":%d' % self._logic.value
