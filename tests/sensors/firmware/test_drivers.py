"""Drivers against recorded bus traffic (no hardware on the unix port)."""

from hubsense_node.drivers.beams import BeamPair
from hubsense_node.drivers.ld2450 import LD2450


class RecordedUART:
    """Replays bytes as a UART receive buffer would hold them."""

    def __init__(self, data):
        self._data = bytes(data)

    def any(self):
        return len(self._data)

    def readinto(self, buf):
        n = min(len(buf), len(self._data))
        buf[:n] = self._data[:n]
        self._data = self._data[n:]
        return n

    def feed(self, data):
        self._data += bytes(data)


def frame(targets):
    body = b""
    for t in range(3):
        body += b"\x0e\x03\xb1\x86\x10\x00\x40\x01" if t < targets else bytes(8)
    return b"\xaa\xff\x03\x00" + body + b"\x55\xcc"


def test_ld2450_counts_targets_and_resyncs_after_noise():
    uart = RecordedUART(b"\x01\xaa\x02" + frame(2))
    r = LD2450(uart)
    assert r.count() == 2
    uart.feed(frame(3)[:10])
    assert r.count() == 2  # half a frame: keep the last count
    uart.feed(frame(3)[10:] + frame(0))
    assert r.count() == 0


def test_ld2450_ignores_a_frame_with_a_bad_tail():
    uart = RecordedUART(frame(1))
    r = LD2450(uart)
    assert r.count() == 1
    uart.feed(frame(3)[:-2] + b"\x00\x00")
    assert r.count() == 1


class Level:
    def __init__(self, v):
        self.v = v

    def value(self):
        return self.v


def test_beams_are_active_low():
    outer, inner = Level(1), Level(1)
    b = BeamPair(outer, inner)
    assert b.beams() == 0
    outer.v = 0
    assert b.beams() == 1
    inner.v = 0
    assert b.beams() == 3
