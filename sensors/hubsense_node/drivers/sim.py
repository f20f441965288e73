"""Simulated sensors for the unix port and demos, fed from a control file.

The control file holds one line per input, `<n>=<value>`, rewritten by a test
or a scenario (atomically: write a temporary file, then rename it over):

    1=1          presence: 1 detected, 0 not
    1=7          count: people seen
    2=58.5       sound: the A-weighted level now, dB
    1=412,398    passage: people who walked in, out (totals of the scenario's world)

Lines for unknown inputs are ignored; an input without a line keeps its value.
"""

import asyncio


class SimSensor:
    """A sensor whose reading the control file sets; read like the real driver."""

    def __init__(self):
        self.raw = 0

    def value(self):
        return 1 if self.raw else 0

    def count(self):
        return int(self.raw)


class ControlFile:
    """Polls the control file and pushes its values into the sim sensors."""

    def __init__(self, path, sensors, poll_ms=100):
        self._path = path
        self._sensors = sensors  # {n: SimSensor}
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
            s = self._sensors.get(int(n))
            if s is not None:
                s.raw = _number(value)
        except ValueError:
            print("sim: bad control line:", line)

    async def run(self):
        while True:
            self.poll()
            await asyncio.sleep_ms(self._poll_ms)


def _number(text):
    if "," in text:
        return tuple(int(p) for p in text.split(","))
    return float(text) if "." in text else int(text)
