"""What each desk and zone showed over a window, placed in time as reports count it.

hubsense.state decides what a desk or zone shows and the collector writes each
change, stamped with its own clock. Reports place those changes in time by
three rules, and nowhere else:

- **The node's clock.** A change from one known value to another was caused by
  a new observation; it is placed at the node's synced time of that
  observation (the point's `updated_ms`), so a QoS 1 message redelivered late
  does not move a desk's occupancy. Never before the change before it, and
  never more than `lag` (state.stale_factor heartbeats of the slowest node)
  before the collector wrote it: a node whose messages are later than that
  goes silent first. A change to or from unknown stays at the collector's
  time: silence and a node's return are the collector's findings.
- **Collector down** (hubsense.downtime): every desk and zone is unknown then.
- **Collector restarted**: it starts with no memory, so what was shown before
  no longer holds; unknown until its next point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hubsense.downtime import Beat, down_spans, restarts
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from reports import source
from reports.source import Change
from reports.spans import Span, Value, blank, spans_from_changes


def on_node_clock(changes: Iterable[Change], initial: Value, lag_ms: int
                  ) -> list[tuple[int, Value]]:
    """(time, value) of each change, sorted by when the collector wrote them, moved
    onto the node's clock where that is known (see the module's rules)."""
    out: list[tuple[int, Value]] = []
    prev_value, prev_t = initial, None
    for c in changes:
        t = c.at_ms
        if c.since_ms is not None and prev_value is not None and c.value is not None:
            t = max(min(c.since_ms, c.at_ms), c.at_ms - lag_ms)
        if prev_t is not None:
            t = max(t, prev_t)
        out.append((t, c.value))
        prev_value, prev_t = c.value, t
    return out


@dataclass
class Window:
    """Spans per subject over [start, end), and each one's state at the end (to carry on)."""

    spans: dict[str, list[Span]]
    carry: dict[str, Value]


class Timeline:
    """Reads what desks and zones showed, window by window, by the module's rules."""

    def __init__(self, db: InfluxV1, layouts: Iterable[Layout], stale_factor: float,
                 now_ms: int) -> None:
        layouts = list(layouts)
        self.db, self.site, self.now_ms = db, layouts[-1].site.id, now_ms
        self.stale_factor = stale_factor
        slowest = max((n.heartbeat_s for lay in layouts for n in lay.nodes), default=60)
        self.lag_ms = int(stale_factor * slowest * 1000)
        self._beats_of: tuple[int, int, list[Beat]] | None = None

    def _beats(self, start_ms: int, end_ms: int) -> list[Beat]:
        # Desks and zones of one window ask for the same beats: read them once.
        if self._beats_of is None or self._beats_of[:2] != (start_ms, end_ms):
            self._beats_of = (start_ms, end_ms,
                              source.collector_beats(self.db, self.site, start_ms, end_ms))
        return self._beats_of[2]

    def before(self, at_ms: int) -> tuple[dict[str, Value], dict[str, Value]]:
        """Each desk's and zone's state in force at `at` (a restart since: unknown)."""
        started = source.last_restart(self.db, self.site, at_ms)

        def held(c: Change) -> Value:
            return None if started is not None and started > c.at_ms else c.value

        return ({k: held(c) for k, c in source.desk_before(self.db, self.site, at_ms).items()},
                {k: held(c) for k, c in source.zone_before(self.db, self.site, at_ms).items()})

    def desks(self, start_ms: int, end_ms: int, initial: dict[str, Value]) -> Window:
        return self._window(source.desk_changes, start_ms, end_ms, initial)

    def zones(self, start_ms: int, end_ms: int, initial: dict[str, Value]) -> Window:
        return self._window(source.zone_changes, start_ms, end_ms, initial)

    def _window(self, read: source.ChangeReader, start_ms: int, end_ms: int,
                initial: dict[str, Value]) -> Window:
        # Read on past the end: a change written a little later may belong before it.
        ahead = end_ms + self.lag_ms
        changes = read(self.db, self.site, start_ms, ahead)
        beats = self._beats(start_ms, ahead)
        down = down_spans(beats, start_ms, end_ms, self.now_ms, self.stale_factor)
        resets = [Change(t, None) for t in restarts(beats, start_ms, ahead)]
        out = Window({}, {})
        for key in {*changes, *initial}:
            merged = _merge(resets, changes.get(key, []))
            spans = spans_from_changes(on_node_clock(merged, initial.get(key), self.lag_ms),
                                       start_ms, end_ms, initial.get(key))
            out.carry[key] = spans[-1].value
            out.spans[key] = blank(spans, down)
        return out



def _merge(resets: Sequence[Change], changes: Sequence[Change]) -> list[Change]:
    # A stable sort: at the same instant the collector's own point follows its restart.
    return sorted([*resets, *changes], key=lambda c: c.at_ms)
