"""Entrance running totals read as visits: the one rule for reboots, resets and
implausible jumps, used by the collector (live, per message) and the reports
(from the stored totals), so both read a door the same way.

An entrance node sends totals since its boot. Between two totals of one door:
- the same boot and totals that did not go down: the difference came through;
- a new boot id, or a total that went down (a counter reset): the node started
  again from zero, so the new total is what came through since;
- either way, more than a doorway can pass in the time between the two totals
  (BURST plus MAX_PER_S a second) is not people but a broken or forged
  counter: the jump counts as no visits, and the new total is the baseline
  from then on, so the door's next differences count again.
A door's very first total, with nothing before it, counts as people since its
boot only when a fresh boot could have counted it (BURST at most).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

# People a two-beam counter on one doorway can count per second, sustained;
# busy doorways pass one or two.
MAX_PER_S = 3.0
# A crowd at once on top of that (an event letting out), and what a door that
# just booted may already have counted.
BURST = 30


@dataclass(frozen=True, slots=True)
class Total:
    """One running total of a door: people in and out since the node's boot."""

    time_ms: int
    boot: str
    ins: int
    outs: int = 0


class Step(NamedTuple):
    ins: int
    outs: int
    implausible: bool  # the totals jumped further than people can walk: counted as 0


def _limit(dt_ms: int) -> float:
    return BURST + MAX_PER_S * max(dt_ms, 0) / 1000


def step(prev: Total | None, cur: Total) -> Step:
    """People in and out between `prev` (None: the door's first total) and `cur`."""
    if prev is None:
        ins, outs, limit = cur.ins, cur.outs, float(BURST)
    else:
        restarted = cur.boot != prev.boot or cur.ins < prev.ins or cur.outs < prev.outs
        ins, outs = (cur.ins, cur.outs) if restarted else (cur.ins - prev.ins,
                                                           cur.outs - prev.outs)
        limit = _limit(cur.time_ms - prev.time_ms)
    if ins > limit or outs > limit:
        return Step(0, 0, True)
    return Step(ins, outs, False)
