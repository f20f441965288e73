"""Stored entrance totals to entries, read by the one rule (hubsense.passages)."""

from __future__ import annotations

from collections.abc import Iterable

from hubsense.passages import Total, step

Sample = Total  # one stored `passage` observation


def entries(samples: Iterable[Total], before: Total | None = None) -> list[tuple[int, int]]:
    """Return (time, people who came in since the previous total) per total.

    `before` is the last total preceding these (the baseline), None if the
    door has none stored.
    """
    out = []
    prev = before
    for s in sorted(samples, key=lambda x: x.time_ms):
        out.append((s.time_ms, step(prev, s).ins))
        prev = s
    return out
