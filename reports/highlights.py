"""A zone's busiest stretch of the week in a few words' worth of numbers: "busiest
Tue-Thu 10-12, 85 % of capacity".

From the utilization report's hour-of-week profile: the busiest weekday and the
neighbouring weekdays nearly as busy (within NEAR of it), then within those days
the busiest hour and its neighbours nearly as busy. The share is the mean people
in that block against the zone's capacity. Words are the console's and the CLI's
to choose; this picks the numbers once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

NEAR = 0.85  # a neighbour at least this share of the busiest counts as busy too


@dataclass(frozen=True)
class Highlight:
    zone: str
    first_day: int  # weekday, 0 = Monday
    last_day: int  # inclusive
    first_hour: int  # local hour of the day
    end_hour: int  # exclusive: 10, 12 means 10:00-12:00
    share: float  # mean people / capacity in that block


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _block(values: list[float | None]) -> tuple[int, int] | None:
    """The index of the largest value and its contiguous neighbours within NEAR of it."""
    best = max(((v, i) for i, v in enumerate(values) if v is not None),
               key=lambda x: (x[0], -x[1]), default=None)
    if best is None or best[0] <= 0:
        return None
    top, i = best

    def busy(j: int) -> bool:
        v = values[j]
        return v is not None and v >= NEAR * top

    a = b = i
    while a > 0 and busy(a - 1):
        a -= 1
    while b + 1 < len(values) and busy(b + 1):
        b += 1
    return a, b


def highlight(zone: str, profile: list[float | None], capacity: int,
              open_hours: Callable[[int], range]) -> Highlight | None:
    """The zone's busiest block of weekdays and hours, or None with nothing known."""
    if not capacity:
        return None
    days: list[float | None] = [_mean([profile[w * 24 + h] for h in open_hours(w)])
                                for w in range(7)]
    span = _block(days)
    if span is None:
        return None
    d0, d1 = span
    hours: list[float | None] = [
        _mean([profile[w * 24 + h] for w in range(d0, d1 + 1) if h in open_hours(w)])
        for h in range(24)]
    hspan = _block(hours)
    if hspan is None:
        return None
    h0, h1 = hspan
    share = _mean([profile[w * 24 + h] for w in range(d0, d1 + 1) for h in range(h0, h1 + 1)])
    return Highlight(zone, d0, d1, h0, h1 + 1, (share or 0.0) / capacity)
