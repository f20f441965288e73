"""When the collector was not running: the one rule, for the reports, the API and Grafana.

The collector writes a `collector_heartbeat` point (fields `every_s`, the
interval it promises, and `started`, true on its first beat after a start)
every `every_s` seconds while it runs. Nothing it did not see can be known:

- two consecutive beats more than `state.stale_factor` x `every_s` (of the
  earlier beat) apart: the collector was down between them, and every desk and
  zone is unknown then, whatever its last state said;
- the same from the last beat on, once it is that old;
- a `started` beat: the collector began again with no memory of any state, so
  what a desk or zone showed before it no longer holds after it (until the
  collector says again);
- before the first beat ever written (history from before the heartbeat
  existed), no downtime is invented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Beat:
    """One collector heartbeat."""

    time_ms: int
    every_s: int = 30
    started: bool = False

    def __post_init__(self) -> None:
        if self.every_s < 1:
            raise ValueError(f"every_s must be at least 1, not {self.every_s}")

    def expires_ms(self, stale_factor: float) -> float:
        """After this instant without a newer beat, the collector counts as down."""
        return self.time_ms + stale_factor * self.every_s * 1000


def is_down(last: Beat | None, now_ms: int, stale_factor: float) -> bool:
    """Whether the collector counts as down at `now`, given its last beat (None: never beat)."""
    return last is not None and now_ms > last.expires_ms(stale_factor)


def down_spans(beats: Sequence[Beat], start_ms: int, end_ms: int, now_ms: int,
               stale_factor: float) -> list[tuple[int, int]]:
    """Spans inside [start, end) when the collector was down.

    `beats` are sorted by time and hold every beat in the window plus the last
    one before it and the first one after it, where they exist.
    """
    out: list[tuple[int, int]] = []
    for prev, nxt in pairwise(beats):
        if nxt.time_ms > prev.expires_ms(stale_factor):
            out.append((prev.time_ms, nxt.time_ms))
    if beats and is_down(beats[-1], now_ms, stale_factor):
        out.append((beats[-1].time_ms, max(end_ms, now_ms)))
    return [(max(a, start_ms), min(b, end_ms)) for a, b in out
            if a < end_ms and b > start_ms]


def restarts(beats: Sequence[Beat], start_ms: int, end_ms: int) -> list[int]:
    """Times in [start, end) at which the collector started again (no state carried over)."""
    return [b.time_ms for b in beats if b.started and start_ms <= b.time_ms < end_ms]
