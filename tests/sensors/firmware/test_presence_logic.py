"""Settle and hold, with a clock the test moves (ticks in ms)."""

from hubsense_node.presence import Presence


def feed(p, raw, start, end, step=100):
    """Sample `raw` every `step` ms from start to end; return the times `present` changed."""
    changes = []
    for t in range(start, end, step):
        if p.feed(raw, t):
            changes.append((t, p.present))
    return changes


def test_blip_shorter_than_settle_is_ignored():
    p = Presence(1, None, 500, 60000)
    assert feed(p, 1, 0, 400) == []
    assert feed(p, 0, 400, 5000) == []
    assert not p.present


def test_motion_lasting_settle_makes_occupied():
    p = Presence(1, None, 500, 60000)
    assert feed(p, 1, 0, 1000) == [(500, True)]


def test_hold_keeps_occupied_after_last_motion():
    p = Presence(1, None, 500, 10 * 60000)
    feed(p, 1, 0, 1000)  # last motion sample at 900
    assert feed(p, 0, 1000, 900 + 10 * 60000, step=1000) == []
    assert p.present
    assert p.feed(0, 900 + 10 * 60000) and not p.present


def test_motion_during_hold_restarts_it():
    p = Presence(1, None, 0, 60000)
    assert p.feed(1, 0) and p.present
    assert not p.feed(0, 100)
    assert not p.feed(1, 50000)  # a blip, even shorter than settle, still is motion
    assert not p.feed(0, 50100)
    assert not p.feed(0, 109999)
    assert p.feed(0, 110000) and not p.present


def test_zero_settle_and_hold_follow_the_input():
    p = Presence(1, None, 0, 0)
    assert p.feed(1, 0) and p.present
    assert p.feed(0, 1) and not p.present


def test_free_never_faster_than_settle():
    p = Presence(1, None, 1000, 0)
    feed(p, 1, 0, 1100)
    assert not p.feed(0, 1100)
    assert p.feed(0, 2000)


def test_clock_wrap_is_handled():
    from time import ticks_add

    start = ticks_add(0, -300)  # just before ticks wrap around
    p = Presence(1, None, 500, 0, start)
    assert not p.feed(1, start)
    assert p.feed(1, ticks_add(start, 500))
