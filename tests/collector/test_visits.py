"""Visits from running totals: differences within a boot, a reboot starts from zero."""

from __future__ import annotations

from collector.visits import VisitCounter

K = ("door-1", 1)


def test_differences_within_a_boot() -> None:
    v = VisitCounter()
    assert v.step(K, "aa11", 1000, 10, 5) is None  # baseline
    assert v.step(K, "aa11", 2000, 13, 5) == (3, 0)
    assert v.step(K, "aa11", 2000, 13, 5) is None  # redelivery
    assert v.step(K, "aa11", 1500, 11, 5) is None  # late


def test_reboot_by_boot_id_or_by_a_counter_that_went_down() -> None:
    v = VisitCounter()
    v.step(K, "aa11", 1000, 100, 90)
    assert v.step(K, "bb22", 2000, 4, 1) == (4, 1)
    assert v.step(K, "bb22", 3000, 1, 1) == (1, 1)  # reset without a new boot id
    assert v.step(K, "aa11", 2500, 120, 95) is None  # a late message of the old boot
    assert v.step(("door-1", 2), "aa11", 2500, 7, 7) is None  # inputs are separate
