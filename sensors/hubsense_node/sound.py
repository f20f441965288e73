"""LAeq and LAmax over a reporting interval, from short-term A-weighted levels."""

import math
from array import array
from time import ticks_diff

from micropython import const

_BIN_CDB = const(50)  # histogram resolution: 0.5 dB
_MAX_CDB = const(14000)  # the contract's ceiling, 140 dB


class Sound:
    """A sound input, reported once per interval. The driver has `level_cdb()`
    (centi-dB, or None when no new level is ready); levels go into a fixed
    histogram, so sampling never allocates."""

    def __init__(self, n, driver, offset_db=0.0, interval_ms=60000, now=0):
        self.n = n
        self.topic = b""
        self.last = None
        self._driver = driver
        self._offset = int(offset_db * 100)
        self._interval = interval_ms
        self._start = now
        self._bins = array("I", bytes(4 * (_MAX_CDB // _BIN_CDB + 1)))
        self._n = 0
        self._max = 0

    def update(self, now):
        level = self._driver.level_cdb()
        if level is not None:
            self.add(level)
        if ticks_diff(now, self._start) < self._interval:
            return False
        self._start = now
        # The report allocates; it runs once per interval, not per sample.
        report = self.report()
        if report is None:
            return False
        self.last = report
        return True

    def add(self, level_cdb):
        """Record one short-term level (centi-dB, before the calibration offset)."""
        c = level_cdb + self._offset
        if c < 0:
            c = 0
        elif c > _MAX_CDB:
            c = _MAX_CDB
        self._bins[c // _BIN_CDB] += 1
        self._n += 1
        if c > self._max:
            self._max = c

    def report(self):
        """Return (laeq, lamax) in dB for the interval so far and start a new one."""
        if not self._n:
            return None
        energy = 0.0
        bins = self._bins
        for i in range(len(bins)):
            if bins[i]:
                # the bin's centre, in bels, as energy
                energy += bins[i] * math.pow(10, (i * _BIN_CDB + _BIN_CDB // 2) / 1000)
                bins[i] = 0
        laeq = 10 * math.log10(energy / self._n)
        lamax = self._max / 100
        self._n = 0
        self._max = 0
        # LAmax is exact; LAeq rounds to the bin centre, so keep the pair consistent.
        return min(round(laeq, 1), lamax), lamax

    def fields(self):
        if self.last is None:
            return None  # nothing measured yet: nothing to say
        return '"laeq":%.1f,"lamax":%.1f' % self.last
