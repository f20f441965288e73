"""Simulated sensors for the unix port and demos, fed from a control file.

The control file holds one line per input, `<n>=<value>`, rewritten by a test
or a scenario (atomically: write a temporary file, then rename it over):

    1=1          presence: 1 detected, 0 not
    1=7          count: people seen
    2=58.5       sound: the A-weighted level now, dB
    1=412,398    passage: people who walked in, out (totals of the scenario's world)

    link=0       the network drops (Wi-Fi gone); link=1 brings it back

Lines for unknown inputs are ignored; an input without a line keeps its value.
Values are converted when the file changes, so reading a sim sensor allocates
nothing, like reading a real one.
"""

import asyncio

from micropython import const

_OUTER = const(1)
_INNER = const(2)
# Beam masks one walker produces, one per sample.
_WALK_IN = (_OUTER, _OUTER | _INNER, _INNER, 0)
_WALK_OUT = (_INNER, _OUTER | _INNER, _OUTER, 0)


class SimDetector:
    """Presence or count: `value()` 0/1 like a PIR pin, `count()` like a radar."""

    def __init__(self):
        self._v = 0

    def set(self, v):
        self._v = int(v)

    def value(self):
        return 1 if self._v else 0

    def count(self):
        return self._v


class SimMic:
    """A room whose A-weighted level the scenario sets."""

    def __init__(self):
        self._cdb = None

    def set(self, v):
        self._cdb = int(v * 100)

    def level_cdb(self):
        return self._cdb


class SimDoor:
    """A doorway whose walkers the scenario counts; breaks the beams as they would.

    Passages the world made before this node booted are not seen, as a real
    counter that was off would not see them.
    """

    def __init__(self):
        self._world_in = 0
        self._world_out = 0
        self._seen_in = -1
        self._seen_out = -1
        self._walk = _WALK_IN
        self._step = 0

    def set(self, v):
        if not isinstance(v, tuple) or len(v) != 2:
            raise ValueError("passage wants in,out")
        self._world_in, self._world_out = v
        if self._seen_in < 0:
            self._seen_in, self._seen_out = v

    def beams(self):
        if self._step == 0:
            if 0 <= self._seen_in < self._world_in:
                self._seen_in += 1
                self._walk = _WALK_IN
            elif 0 <= self._seen_out < self._world_out:
                self._seen_out += 1
                self._walk = _WALK_OUT
            else:
                return 0
        mask = self._walk[self._step]
        self._step = (self._step + 1) % len(self._walk)
        return mask


SIM = {"presence": SimDetector, "count": SimDetector, "sound": SimMic, "passage": SimDoor}


class ControlFile:
    """Polls the control file and pushes its values into the sim sensors."""

    def __init__(self, path, sensors, poll_ms=100):
        self._path = path
        self._sensors = sensors  # {n: sim sensor}
        self._poll_ms = poll_ms
        self._buf = bytearray(512)
        self._last = bytearray(512)
        self._len = -1

    def poll(self):
        """Read the file; parse it only when its bytes changed."""
        try:
            with open(self._path, "rb") as f:
                k = f.readinto(self._buf)
        except OSError:
            return False
        if k == self._len and self._buf[:k] == self._last[:k]:
            return False
        self._last[:k] = self._buf[:k]
        self._len = k
        for line in bytes(self._buf[:k]).decode().split("\n"):
            self._apply(line.strip())
        return True

    def _apply(self, line):
        n, sep, value = line.partition("=")
        if not sep:
            return
        try:
            s = self._sensors.get(n if n == "link" else int(n))
            if s is not None:
                s.set(_number(value))
        except (ValueError, TypeError):
            print("sim: bad control line:", line)

    async def run(self):
        while True:
            self.poll()
            await asyncio.sleep_ms(self._poll_ms)


def _number(text):
    if "," in text:
        return tuple(int(p) for p in text.split(","))
    return float(text) if "." in text else int(text)
