"""A simulated doorway for a passage input."""

# Beam masks one walker produces, one per sample (bit 0 street side, bit 1 room side).
_WALK_IN = (1, 3, 2, 0)
_WALK_OUT = (2, 3, 1, 0)


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
        self._step = (self._step + 1) % 4
        return mask
