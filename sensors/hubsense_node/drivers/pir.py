"""PIR motion module (e.g. AM312, HC-SR501) on one digital input."""


class PIR:
    """High while the module sees motion; the pin is configured by the board."""

    def __init__(self, pin):
        self._pin = pin

    def value(self):
        return self._pin.value()
