"""A reading that is reported only once it has held still (radar ghosts, flicker)."""

from time import ticks_diff


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
