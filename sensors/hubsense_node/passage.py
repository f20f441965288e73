"""In / out from the order in which a doorway's two beams are broken."""

from micropython import const

OUTER = const(1)  # beam on the street side
INNER = const(2)  # beam on the room side


class Doorway:
    """Running totals in and out since boot; the driver has `beams()`, the
    broken-beam mask (OUTER | INNER).

    A person walking in breaks OUTER, then both, then only INNER, then neither;
    someone who steps in and turns back clears from the beam they started at
    and is not counted.
    """

    def __init__(self, n, driver, boot):
        self.n = n
        self.topic = b""
        self.ins = 0
        self.outs = 0
        self._driver = driver
        self._boot = boot
        self._first = 0
        self._last = 0

    def update(self, now):
        return self.feed(self._driver.beams())

    def feed(self, beams):
        """Take one beam mask; return True when a total changed."""
        if beams == 0:
            first, last = self._first, self._last
            self._first = self._last = 0
            if first == OUTER and last == INNER:
                self.ins += 1
                return True
            if first == INNER and last == OUTER:
                self.outs += 1
                return True
            return False
        if beams != OUTER | INNER:
            if not self._first:
                self._first = beams
            self._last = beams
        return False

    def fields(self):
        return '"boot":"%s","in":%d,"out":%d' % (self._boot, self.ins, self.outs)
