"""A simulated room for a sound input."""


class SimMic:
    """The A-weighted level the scenario sets, read like the I2S microphone."""

    def __init__(self):
        self._cdb = None

    def set(self, v):
        self._cdb = int(v * 100)

    def level_cdb(self):
        return self._cdb
