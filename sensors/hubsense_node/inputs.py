"""Node inputs: a driver plus the logic that turns its readings into a reported value.

Each input has `update(now)` (sample once; True when its value should be
published now) and `fields()` (its value as JSON fields of the contract).
"""

from time import ticks_diff

from hubsense_node.passage import Doorway
from hubsense_node.presence import Presence
from hubsense_node.sound import SoundMeter
from hubsense_node.steady import Steady

_MAX_COUNT = 1000  # the contract's ceiling


class PresenceInput:
    """A desk or zone that is occupied or free (driver: `value()` 0/1)."""

    def __init__(self, n, driver, settle_ms, hold_ms, now=0):
        self.n = n
        self.topic = b""
        self._driver = driver
        self._logic = Presence(settle_ms, hold_ms, now)

    def update(self, now):
        return self._logic.update(self._driver.value(), now)

    def fields(self):
        return '"present":true' if self._logic.present else '"present":false'


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


class SoundInput:
    """LAeq and LAmax (driver: `level_cdb()`), reported once per interval."""

    def __init__(self, n, driver, offset_db, interval_ms, now=0):
        self.n = n
        self.topic = b""
        self._driver = driver
        self._meter = SoundMeter(offset_db)
        self._interval = interval_ms
        self._start = now
        self._due = False
        self._last = None

    def update(self, now):
        level = self._driver.level_cdb()
        if level is not None:
            self._meter.add(level)
        if ticks_diff(now, self._start) >= self._interval:
            self._start = now
            # The report allocates; it runs once per interval, not per sample.
            report = self._meter.report()
            if report is not None:
                self._last = report
                return True
        return False

    def fields(self):
        if self._last is None:
            return None  # nothing measured yet: nothing to say
        return '"laeq":%.1f,"lamax":%.1f' % self._last


class PassageInput:
    """Running totals in and out since boot (driver: `beams()` broken-beam mask)."""

    def __init__(self, n, driver, boot):
        self.n = n
        self.topic = b""
        self._driver = driver
        self._door = Doorway()
        self._boot = boot

    def update(self, now):
        return self._door.update(self._driver.beams())

    def fields(self):
        return '"boot":"%s","in":%d,"out":%d' % (self._boot, self._door.ins, self._door.outs)


def build(cfg, drivers, now, boot):
    """One input per configured input, each on its driver."""
    out = []
    for k, inp in enumerate(cfg["inputs"]):
        m, n, d = inp["measure"], inp["n"], drivers[k]
        if m == "presence":
            out.append(PresenceInput(n, d, inp["settle_ms"], inp["hold_s"] * 1000, now))
        elif m == "count":
            out.append(CountInput(n, d, inp["settle_ms"], now))
        elif m == "sound":
            out.append(SoundInput(n, d, inp["offset_db"], inp["interval_s"] * 1000, now))
        else:
            out.append(PassageInput(n, d, boot))
    return out
