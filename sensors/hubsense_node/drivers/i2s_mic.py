"""I2S MEMS microphone (INMP441, SPH0645) as short-term A-weighted levels."""

import math
from array import array

import micropython
from micropython import const

# INMP441: -26 dBFS at 94 dB SPL, so digital full scale is 120 dB SPL.
_FULL_SCALE_DB = const(120)
_BLOCK = const(512)  # samples per level, 32 ms at 16 kHz


class I2SMic:
    """Reads blocks from a non-blocking `machine.I2S` (32-bit, mono) into a fixed buffer.

    A first-order high-pass (about 500 Hz) stands in for the A-weighting curve's
    low-frequency roll-off, which is where most of its effect on room noise lies;
    `offset_db` in config.json calibrates the result against a reference meter.
    """

    def __init__(self, i2s):
        self._i2s = i2s
        self._buf = bytearray(4 * _BLOCK)
        self._samples = memoryview(array("i", self._buf))
        self._level = None
        i2s.irq(self._ready)  # puts the I2S into non-blocking mode
        i2s.readinto(self._buf)

    def _ready(self, _i2s):
        # Runs as a scheduled callback, outside the sampling loop.
        self._level = _level_cdb(self._samples)
        self._i2s.readinto(self._buf)

    def level_cdb(self):
        """The newest block's level in centi-dB, or None when no new block is ready."""
        level = self._level
        self._level = None
        return level


@micropython.native
def _level_cdb(samples):
    prev_in = 0.0
    prev_out = 0.0
    acc = 0.0
    for i in range(len(samples)):
        x = (samples[i] >> 8) / 8388608.0  # 24-bit sample, full scale 1.0
        y = 0.83 * (prev_out + x - prev_in)  # high-pass, about 500 Hz at 16 kHz
        prev_in = x
        prev_out = y
        acc += y * y
    if acc <= 0:
        return 0
    return int((10 * math.log10(acc / len(samples)) + _FULL_SCALE_DB) * 100)
