"""Each door's last running total, turned into visits by the one rule (hubsense.passages).

Only what the collector has seen since it started is a baseline: the first
total of a door after a start sets it and counts nothing (the reports, which
have the stored totals, count that stretch).
"""

from __future__ import annotations

from hubsense.passages import Step, Total, step

Door = tuple[str, int]  # node, input


class VisitCounter:
    """Per door: visits since the previous total, or None (no baseline, or a stale total)."""

    def __init__(self) -> None:
        self._last: dict[Door, Total] = {}

    def step(self, door: Door, total: Total) -> Step | None:
        last = self._last.get(door)
        if last is not None and total.time_ms <= last.time_ms:
            return None  # a redelivery or a late message (even of an older boot): counted
        self._last[door] = total  # an implausible total too: the next ones count from it
        if last is None:
            return None
        return step(last, total)
