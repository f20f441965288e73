"""HLK-LD2450 24 GHz radar on a UART: how many people (up to 3) it tracks."""

from micropython import const

_FRAME = const(30)  # AA FF 03 00, 3 targets x 8 bytes, 55 CC
_TARGETS = const(3)


class LD2450:
    """Reads the radar's periodic target frames without blocking (256000 baud)."""

    def __init__(self, uart):
        self._uart = uart
        self._buf = bytearray(_FRAME)
        self._body = memoryview(self._buf)[4:]
        self._one = bytearray(1)
        self._have = 0
        self._count = 0

    def count(self):
        """People in the latest complete frame; the previous count until a new one arrives."""
        uart = self._uart
        while True:
            if self._have < 4:
                # Hunt for the header byte by byte: a frame may start anywhere.
                if not uart.any():
                    break
                uart.readinto(self._one)
                b = self._one[0]
                want = (0xAA, 0xFF, 0x03, 0x00)[self._have]
                self._have = self._have + 1 if b == want else (1 if b == 0xAA else 0)
                continue
            if uart.any() < _FRAME - 4:
                break
            uart.readinto(self._body)
            self._have = 0
            if self._buf[28] == 0x55 and self._buf[29] == 0xCC:
                self._count = self._targets()
        return self._count

    def _targets(self):
        n = 0
        buf = self._buf
        for t in range(_TARGETS):
            o = 4 + 8 * t
            # An empty target slot is all zeros.
            if buf[o] | buf[o + 1] | buf[o + 2] | buf[o + 3]:
                n += 1
        return n
