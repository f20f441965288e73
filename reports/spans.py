"""State spans and their per-bucket totals: the arithmetic under every report.

A report counts durations, not messages: a desk occupied from 09:00 to 11:30
counts 2.5 h however many points arrived. A span's value is the people count
(1/0 for a desk) or None when unknown; unknown time is counted as unknown, never
as free.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

Value = int | None


@dataclass(frozen=True, slots=True)
class Span:
    start_ms: int
    end_ms: int
    value: Value


def spans_from_changes(changes: Iterable[tuple[int, Value]], start_ms: int, end_ms: int,
                       initial: Value = None) -> list[Span]:
    """Turn state changes (time, value) into spans covering [start, end).

    `initial` is the state in force at `start` (the last change before it);
    with no change before, the start is unknown.
    """
    out: list[Span] = []
    t, v = start_ms, initial
    for ts, value in sorted(changes, key=lambda c: c[0]):
        if ts >= end_ms:
            break
        if ts <= start_ms:
            v = value
            continue
        if ts > t:
            out.append(Span(t, ts, v))
        t, v = ts, value
    if t < end_ms:
        out.append(Span(t, end_ms, v))
    return _merge(out)


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s in spans:
        if out and out[-1].value == s.value and out[-1].end_ms == s.start_ms:
            out[-1] = Span(out[-1].start_ms, s.end_ms, s.value)
        else:
            out.append(s)
    return out


@dataclass(slots=True)
class Totals:
    """Milliseconds in one bucket: all of it, and the part in opening hours."""

    span_ms: int = 0
    known_ms: int = 0
    occupied_ms: int = 0  # known and value > 0
    people_ms: int = 0  # value x time: person-milliseconds
    peak: int | None = None
    open_ms: int = 0
    open_known_ms: int = 0
    open_occupied_ms: int = 0
    open_people_ms: int = 0
    open_peak: int | None = None

    @property
    def unknown_ms(self) -> int:
        return self.span_ms - self.known_ms

    @property
    def open_unknown_ms(self) -> int:
        return self.open_ms - self.open_known_ms

    def add(self, ms: int, value: Value, is_open: bool) -> None:
        self.span_ms += ms
        if is_open:
            self.open_ms += ms
        if value is None:
            return
        self.known_ms += ms
        self.people_ms += value * ms
        self.occupied_ms += ms if value > 0 else 0
        self.peak = value if self.peak is None else max(self.peak, value)
        if is_open:
            self.open_known_ms += ms
            self.open_people_ms += value * ms
            self.open_occupied_ms += ms if value > 0 else 0
            self.open_peak = value if self.open_peak is None else max(self.open_peak, value)


def blank(spans: Sequence[Span], unknown: Sequence[tuple[int, int]]) -> list[Span]:
    """The same spans with the `unknown` stretches (sorted, disjoint) made unknown."""
    if not unknown:
        return list(spans)
    out: list[Span] = []
    for s in spans:
        t = s.start_ms
        for a, b in unknown:
            if b <= t or a >= s.end_ms:
                continue
            if a > t:
                out.append(Span(t, a, s.value))
            out.append(Span(max(a, t), min(b, s.end_ms), None))
            t = min(b, s.end_ms)
        if t < s.end_ms:
            out.append(Span(t, s.end_ms, s.value))
    return _merge(out)


def split(spans: Sequence[Span], edges: Sequence[int], open_spans: Sequence[tuple[int, int]]
          ) -> Iterator[tuple[int, int, Value, bool]]:
    """Yield (bucket, ms, value, in opening hours) for the pieces of spans between `edges`.

    Spans, edges and open spans are sorted; pieces outside the edges are left out.
    """
    flat_open = [t for a, b in open_spans for t in (a, b)]  # open between [2i] and [2i+1]
    cuts = sorted({*edges, *(t for t in flat_open if edges[0] < t < edges[-1])})
    for s in spans:
        a = max(s.start_ms, edges[0])
        end = min(s.end_ms, edges[-1])
        i = bisect_right(cuts, a)
        while a < end:
            b = min(end, cuts[i]) if i < len(cuts) else end
            yield bisect_right(edges, a) - 1, b - a, s.value, bisect_right(flat_open, a) % 2 == 1
            a = b
            i += 1


def bucket_totals(spans: Sequence[Span], edges: Sequence[int],
                  open_spans: Sequence[tuple[int, int]]) -> list[Totals]:
    """Sum spans into the buckets between consecutive `edges`, split open/closed."""
    out = [Totals() for _ in range(len(edges) - 1)]
    for bucket, ms, value, is_open in split(spans, edges, open_spans):
        out[bucket].add(ms, value, is_open)
    return out
