"""Settle and hold, with a clock the test moves (ticks in ms)."""

from hubsense_node.presence import Presence


def feed(p, raw, start, end, step=100):
    """Sample `raw` every `step` ms from start to end; return the times `present` changed."""
    changes = []
    for t in range(start, end, step):
        if p.update(raw, t):
            changes.append((t, p.present))
    return changes


def test_blip_shorter_than_settle_is_ignored():
    p = Presence(settle_ms=500, hold_ms=60000)
    assert feed(p, 1, 0, 400) == []
    assert feed(p, 0, 400, 5000) == []
    assert not p.present


def test_motion_lasting_settle_makes_occupied():
    p = Presence(settle_ms=500, hold_ms=60000)
    assert feed(p, 1, 0, 1000) == [(500, True)]


def test_hold_keeps_occupied_after_last_motion():
    p = Presence(settle_ms=500, hold_ms=10 * 60000)
    feed(p, 1, 0, 1000)  # last motion sample at 900
    assert feed(p, 0, 1000, 900 + 10 * 60000, step=1000) == []
    assert p.present
    assert p.update(0, 900 + 10 * 60000) and not p.present


def test_motion_during_hold_restarts_it():
    p = Presence(settle_ms=0, hold_ms=60000)
    assert p.update(1, 0) and p.present
    assert not p.update(0, 100)
    assert not p.update(1, 50000)  # a blip, even shorter than settle, still is motion
    assert not p.update(0, 50100)
    assert not p.update(0, 109999)
    assert p.update(0, 110000) and not p.present


def test_zero_settle_and_hold_follow_the_input():
    p = Presence(settle_ms=0, hold_ms=0)
    assert p.update(1, 0) and p.present
    assert p.update(0, 1) and not p.present


def test_free_never_faster_than_settle():
    p = Presence(settle_ms=1000, hold_ms=0)
    feed(p, 1, 0, 1100)
    assert not p.update(0, 1100)
    assert p.update(0, 2000)


def test_clock_wrap_is_handled():
    from time import ticks_add

    start = ticks_add(0, -300)  # just before ticks wrap around
    p = Presence(settle_ms=500, hold_ms=0, now=start)
    assert not p.update(1, start)
    assert p.update(1, ticks_add(start, 500))
