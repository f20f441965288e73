"""The collector-downtime rule (hubsense.downtime), case by case."""

from __future__ import annotations

from hubsense.downtime import Beat, down_spans, is_down, restarts

S = 1000
SF = 2.5  # state.stale_factor: 30 s beats may be 75 s apart


def beats(*times_s: int, every_s: int = 30) -> list[Beat]:
    return [Beat(t * S, every_s) for t in times_s]


def test_beats_on_time_or_a_little_late_are_no_downtime() -> None:
    assert down_spans(beats(0, 30, 60, 135), 0, 200 * S, now_ms=140 * S, stale_factor=SF) == []


def test_a_gap_longer_than_the_bound_is_down_between_the_beats() -> None:
    got = down_spans(beats(0, 30, 106, 136), 0, 200 * S, now_ms=140 * S, stale_factor=SF)
    assert got == [(30 * S, 106 * S)]  # 76 s apart: more than 2.5 x 30 s


def test_the_bound_is_the_earlier_beats_promise() -> None:
    slow = [Beat(0, 60), Beat(140 * S, 30)]  # 60 s promised: 150 s is the bound
    assert down_spans(slow, 0, 200 * S, now_ms=150 * S, stale_factor=SF) == []


def test_from_the_last_beat_on_once_it_is_that_old() -> None:
    assert down_spans(beats(0, 30), 0, 200 * S, now_ms=100 * S, stale_factor=SF) == []
    assert down_spans(beats(0, 30), 0, 200 * S, now_ms=106 * S, stale_factor=SF) == [
        (30 * S, 200 * S)]
    assert is_down(Beat(30 * S), 106 * S, SF) and not is_down(Beat(30 * S), 105 * S, SF)


def test_spans_are_cut_to_the_window() -> None:
    got = down_spans(beats(0, 1000, 1030), 500 * S, 2000 * S, now_ms=1040 * S, stale_factor=SF)
    assert got == [(500 * S, 1000 * S)]


def test_no_downtime_is_invented_before_the_first_beat_ever() -> None:
    assert down_spans([], 0, 10_000 * S, now_ms=10_000 * S, stale_factor=SF) == []
    assert not is_down(None, 10_000 * S, SF)
    assert down_spans(beats(5000, 5030), 0, 6000 * S, now_ms=5040 * S, stale_factor=SF) == []


def test_restarts_are_the_started_beats_in_the_window() -> None:
    found = [Beat(0), Beat(30 * S), Beat(400 * S, started=True), Beat(900 * S, started=True)]
    assert restarts(found, 0, 800 * S) == [400 * S]
