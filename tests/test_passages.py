"""The one rule for entrance totals (hubsense.passages), case by case."""

from __future__ import annotations

import pytest

from hubsense.passages import BURST, MAX_PER_S, Step, Total, step

S = 1000  # ms


@pytest.mark.parametrize(("prev", "cur", "want"), [
    # the same boot: the difference came through
    (Total(0, "a1", 10, 8), Total(60 * S, "a1", 14, 9), Step(4, 1, False)),
    (Total(0, "a1", 10, 8), Total(60 * S, "a1", 10, 8), Step(0, 0, False)),
    # a new boot id, or a total that went down: counted from zero
    (Total(0, "a1", 100, 90), Total(60 * S, "b2", 3, 1), Step(3, 1, False)),
    (Total(0, "a1", 100, 90), Total(60 * S, "a1", 2, 95), Step(2, 95, False)),
    # a crowd at once is possible; more than BURST plus the rate is not people
    (Total(0, "a1", 0, 0), Total(1 * S, "a1", BURST, 0), Step(BURST, 0, False)),
    (Total(0, "a1", 0, 0), Total(1 * S, "a1", BURST + 4, 0), Step(0, 0, True)),
    (Total(0, "a1", 0, 0), Total(1 * S, "a1", 2_147_483_647, 0), Step(0, 0, True)),
    (Total(0, "a1", 0, 0), Total(1 * S, "a1", 0, 10_000), Step(0, 0, True)),
    # over a long gap the rate allows more: an hour of a busy door
    (Total(0, "a1", 0, 0), Total(3600 * S, "a1", int(3600 * MAX_PER_S), 0),
     Step(int(3600 * MAX_PER_S), 0, False)),
    # a reboot whose new total is more than could have come through since
    (Total(0, "a1", 500, 400), Total(2 * S, "b2", 90_000, 0), Step(0, 0, True)),
    # a door's first total ever: people since its boot, if a fresh boot could have them
    (None, Total(0, "a1", 4, 2), Step(4, 2, False)),
    (None, Total(0, "a1", 5000, 0), Step(0, 0, True)),
])
def test_step(prev: Total | None, cur: Total, want: Step) -> None:
    assert step(prev, cur) == want
