"""Visits from running totals, live: the collector's per-door baselines over the one rule."""

from __future__ import annotations

from collector.visits import VisitCounter
from hubsense.passages import Step, Total

K = ("door-1", 1)


def test_differences_within_a_boot() -> None:
    v = VisitCounter()
    assert v.step(K, Total(1000, "aa11", 10, 5)) is None  # baseline
    assert v.step(K, Total(2000, "aa11", 13, 5)) == Step(3, 0, False)
    assert v.step(K, Total(2000, "aa11", 13, 5)) is None  # redelivery
    assert v.step(K, Total(1500, "aa11", 11, 5)) is None  # late


def test_reboot_by_boot_id_or_by_a_counter_that_went_down() -> None:
    v = VisitCounter()
    v.step(K, Total(1000, "aa11", 100, 90))
    assert v.step(K, Total(2000, "bb22", 4, 1)) == Step(4, 1, False)
    assert v.step(K, Total(3000, "bb22", 1, 1)) == Step(1, 1, False)  # reset, same boot id
    assert v.step(K, Total(2500, "aa11", 120, 95)) is None  # a late message of the old boot
    assert v.step(("door-1", 2), Total(2500, "aa11", 7, 7)) is None  # inputs are separate


def test_an_implausible_jump_counts_nothing_and_becomes_the_baseline() -> None:
    v = VisitCounter()
    v.step(K, Total(1000, "aa11", 0, 0))
    assert v.step(K, Total(2000, "aa11", 2_147_483_647, 0)) == Step(0, 0, True)
    # The door carries on from its (odd) total: the next differences count again.
    assert v.step(K, Total(3000, "aa11", 2_147_483_647, 2)) == Step(0, 2, False)
