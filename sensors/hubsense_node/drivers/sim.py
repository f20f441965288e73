"""Simulated sensors for the unix port and demos, fed from a control file.

The control file holds one line per input, `<n>=<value>`, rewritten by a test
or a scenario (atomically: write a temporary file, then rename it over):

    1=1          presence: 1 detected, 0 not
    1=7          count: people seen
    2=58.5       sound: the A-weighted level now, dB (2=60 is 60 dB too)
    1=412,398    passage: people who walked in, out (totals of the scenario's world)
    link=0       the network drops (Wi-Fi gone); link=1 brings it back

Lines for unknown inputs are ignored; an input without a line keeps its value.
Values are converted when the file changes, so reading a sim sensor allocates
nothing, like reading a real one.
"""

import asyncio


class SimSignal:
    """One value the scenario sets: a detector (`value()` 0/1 like a PIR pin,
    `count()` like a radar), a microphone (made with `k` 100: `level_cdb()`,
    set in dB; None until set) or, made with 1, the network link (`link=0`
    cuts it, as a Wi-Fi drop-out would). One class for all: each class costs
    heap."""

    def __init__(self, v=0, k=1):
        self._v = v
        self._k = k

    def set(self, v):
        # A microphone keeps dB as integer centi-dB, from `60` as from `60.0`:
        # reading a level allocates nothing.
        self._v = round(v * self._k)

    def value(self):
        return 1 if self._v else 0

    def count(self):
        return self._v

    def level_cdb(self):
        return self._v

    def is_up(self):
        return self._v != 0

    async def up(self):
        while not self._v:
            await asyncio.sleep_ms(100)

    def rssi(self):
        return None


def make(measure):
    """A simulated sensor for one input's measure."""
    if measure == "passage":
        from hubsense_node.drivers.sim_door import SimDoor

        return SimDoor()
    return SimSignal(None, 100) if measure == "sound" else SimSignal()


class ControlFile:
    """Polls the control file and pushes its values into the sim sensors."""

    def __init__(self, path, sensors, poll_ms=100):
        self._path = path
        self._sensors = sensors  # {n or "link": object with set(value)}
        self._poll_ms = poll_ms
        self._buf = bytearray(128)  # 4 inputs and the link fit in a quarter of this
        self._last = b""  # the bytes last parsed: a copy is made only when they change

    def poll(self):
        """Read the file; parse it only when its bytes changed."""
        try:
            with open(self._path, "rb") as f:
                k = f.readinto(self._buf)
        except OSError:
            return False
        if k == len(self._last) and self._buf[:k] == self._last:
            return False
        self._last = bytes(self._buf[:k])
        for line in self._last.decode().split("\n"):
            self._apply(line.strip())
        return True

    def _apply(self, line):
        n, sep, value = line.partition("=")
        if not sep:
            return
        try:
            s = self._sensors.get(n if n == "link" else int(n))
            if s is not None:
                s.set(tuple(int(p) for p in value.split(",")) if "," in value
                      else float(value) if "." in value else int(value))
        except (ValueError, TypeError):
            print("sim: bad control line:", line)

    async def run(self):
        while True:
            self.poll()
            await asyncio.sleep_ms(self._poll_ms)
