"""Two infrared break-beam sensors across a doorway (e.g. Adafruit 2168)."""


class BeamPair:
    """Broken-beam mask: bit 0 the street-side beam, bit 1 the room-side beam.

    The receivers' outputs are open-collector and pulled high: low = broken.
    """

    def __init__(self, outer, inner):
        self._outer = outer
        self._inner = inner

    def beams(self):
        return (0 if self._outer.value() else 1) | (0 if self._inner.value() else 2)
