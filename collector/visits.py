"""Entrance running totals turned into visits, with node reboots recognised.

A passage counter sends totals since its boot. The difference between two
totals of the same boot is the visits in between; a new boot id, or a total
that went down, means the counter restarted from zero, so the new total is
all new visits rather than a negative number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Last:
    boot: str
    ts_ms: int
    ins: int
    outs: int


class VisitCounter:
    """Per passage input: (in, out) visits since the previous total, or None."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, int], _Last] = {}

    def step(self, key: tuple[str, int], boot: str, ts_ms: int, ins: int,
             outs: int) -> tuple[int, int] | None:
        """Return visits since the last total; None for the first total or a stale one."""
        last = self._last.get(key)
        if last is not None and ts_ms <= last.ts_ms:
            return None  # a redelivery or a late message (even of an older boot): counted
        self._last[key] = _Last(boot, ts_ms, ins, outs)
        if last is None:
            return None  # nothing to subtract from (the collector just started)
        if boot != last.boot or ins < last.ins or outs < last.outs:
            return ins, outs  # the node restarted: its counter started again at zero
        return ins - last.ins, outs - last.outs
