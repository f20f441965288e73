"""LAeq and LAmax over a reporting interval, from short-term A-weighted levels."""

import math
from array import array
from time import ticks_diff

from micropython import const

_BIN_CDB = const(50)  # resolution: 0.5 dB
_DECADE_CDB = const(1000)  # 10 dB: a factor of 10 in energy
_MAX_CDB = const(14000)  # the contract's ceiling, 140 dB
# Energy of each 0.5 dB step within a decade, at its centre:
# round(100 * 10 ** ((50 * j + 25) / 1000)) for j in 0..19. Small ints, so that
# a decade's sum stays under 2**30 (no long int on an ESP32) for an hour of
# 32 ms levels.
_STEP_ENERGY = array("H", (106, 119, 133, 150, 168, 188, 211, 237, 266, 299,
                           335, 376, 422, 473, 531, 596, 668, 750, 841, 944))


class Sound:
    """A sound input, reported once per interval. The driver has `level_cdb()`
    (centi-dB, or None when no new level is ready). Each level adds its energy
    to its decade's integer sum: 15 words of RAM, not a 281-bin histogram,
    and sampling never allocates."""

    def __init__(self, n, driver, offset_db=0.0, interval_ms=60000, now=0):
        self.n = n
        self.topic = b""
        self.last = None
        self._driver = driver
        self._offset = int(offset_db * 100)
        self._interval = interval_ms
        self._start = now
        self._decades = array("I", bytes(4 * (_MAX_CDB // _DECADE_CDB + 1)))
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
        self._decades[c // _DECADE_CDB] += _STEP_ENERGY[c % _DECADE_CDB // _BIN_CDB]
        self._n += 1
        if c > self._max:
            self._max = c

    def report(self):
        """Return (laeq, lamax) in dB for the interval so far and start a new one."""
        if not self._n:
            return None
        energy = 0.0
        decades = self._decades
        for q in range(len(decades)):
            if decades[q]:
                energy += decades[q] * math.pow(10, q)
                decades[q] = 0
        laeq = 10 * math.log10(energy / 100 / self._n)
        lamax = self._max / 100
        self._n = 0
        self._max = 0
        # LAmax is exact; LAeq rounds to the bin centre, so keep the pair consistent.
        return min(round(laeq, 1), lamax), lamax

    def fields(self):
        if self.last is None:
            return None  # nothing measured yet: nothing to say
        return '"laeq":%.1f,"lamax":%.1f' % self.last
