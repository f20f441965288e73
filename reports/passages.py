"""Entrance running totals to entries, with reboots and counter resets recognised."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sample:
    """One `passage` observation: a running total since the node's boot."""

    time_ms: int
    boot: str
    in_total: int


def entries(samples: Iterable[Sample], before: Sample | None = None) -> list[tuple[int, int]]:
    """Return (time, people who came in since the previous sample) per sample.

    `before` is the last sample preceding these (the baseline). A new boot id,
    or a total that went down under the same boot, starts a new count from 0:
    the new total is what came in since, never a negative number of visits.
    """
    out = []
    prev = before
    for s in sorted(samples, key=lambda x: x.time_ms):
        if prev is None or s.boot != prev.boot or s.in_total < prev.in_total:
            n = s.in_total
        else:
            n = s.in_total - prev.in_total
        out.append((s.time_ms, n))
        prev = s
    return out
