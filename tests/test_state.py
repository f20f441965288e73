"""Desk and zone state from observations, with time moved by hand: silence is unknown."""

from __future__ import annotations

import json

from hubsense.contract import (
    HeartbeatPayload,
    NodeTopic,
    Observation,
    ParsedTopic,
    parse_observation,
)
from hubsense.layout import Layout
from hubsense.state import DeskStatus, Noise, SiteTracker, Thresholds, ZoneStatus

T0 = 1_795_426_000_000
HB = 30_000  # the example layout's heartbeat


def ob(layout: Layout, node: str, n: int, ts: int = T0, seq: int = 1,
       **body: object) -> Observation:
    raw = json.dumps({"seq": seq, "ts": ts, **body}).encode()
    return parse_observation(layout, ParsedTopic(node, NodeTopic.INPUT, n), raw, ts)


def seed_quiet(t: SiteTracker, layout: Layout, occupied: int, now: int = T0) -> None:
    for i in range(8):
        node, n = ("desk-q1", i + 1) if i < 4 else ("desk-q2", i - 3)
        t.set_online(node, True, now)
        t.observe(ob(layout, node, n, ts=now, present=i < occupied), now)


def test_nothing_heard_is_unknown_never_free(layout: Layout) -> None:
    t = SiteTracker(layout)
    for z in t.zones(T0):
        assert z.status is ZoneStatus.UNKNOWN and z.stale and z.occupied is None
    assert {d.status for d in t.desks(T0)} == {DeskStatus.UNKNOWN}


def test_desks_fill_a_zone(layout: Layout) -> None:
    t = SiteTracker(layout, Thresholds(filling=0.5))
    seed_quiet(t, layout, occupied=2)
    z = t.zone("quiet", T0)
    assert (z.status, z.occupied, z.desks_free, z.stale) == (ZoneStatus.FREE, 2, 6, False)
    seed_quiet(t, layout, occupied=4, now=T0 + 1)
    assert t.zone("quiet", T0 + 1).status is ZoneStatus.FILLING
    seed_quiet(t, layout, occupied=8, now=T0 + 2)
    assert t.zone("quiet", T0 + 2).status is ZoneStatus.FULL


def test_offline_node_makes_its_desks_unknown(layout: Layout) -> None:
    t = SiteTracker(layout)
    seed_quiet(t, layout, occupied=0)
    t.set_online("desk-q1", False, T0 + 1)
    z = t.zone("quiet", T0 + 1)
    assert z.stale and z.desks_unknown == 4 and z.desks_free == 4
    by_id = {d.id: d.status for d in t.desks(T0 + 1)}
    assert by_id["q-01"] is DeskStatus.UNKNOWN and by_id["q-05"] is DeskStatus.FREE


def test_all_known_desks_taken_but_some_unknown_is_not_full(layout: Layout) -> None:
    t = SiteTracker(layout)
    seed_quiet(t, layout, occupied=8)
    t.set_online("desk-q2", False, T0)
    assert t.zone("quiet", T0).status is ZoneStatus.UNKNOWN


def test_silence_past_the_stale_factor_is_unknown(layout: Layout) -> None:
    t = SiteTracker(layout, Thresholds(stale_factor=2.0))
    seed_quiet(t, layout, occupied=1)
    assert not t.zone("quiet", T0 + 2 * HB).stale
    late = T0 + 2 * HB + 1
    z = t.zone("quiet", late)
    assert z.status is ZoneStatus.UNKNOWN and z.occupied is None and z.desks_free is None
    hb = HeartbeatPayload(seq=9, ts=late, boot="ab12", fw="0.1.0", uptime_s=60,
                          heap_free=4096, drops=0)
    t.heard("desk-q1", hb, late, late)  # a heartbeat brings the last values back
    assert t.zone("quiet", late).desks_unknown == 4


def test_an_older_observation_never_wins(layout: Layout) -> None:
    t = SiteTracker(layout)
    t.set_online("buzz-n", True, T0)
    t.observe(ob(layout, "buzz-n", 1, ts=T0 + 10, seq=2, count=5), T0)
    t.observe(ob(layout, "buzz-n", 1, ts=T0, seq=1, count=20), T0)  # redelivered late
    assert t.zone("buzz-north", T0).occupied == 5


def test_count_and_noise(layout: Layout) -> None:
    t = SiteTracker(layout, Thresholds(filling=0.5, lively_db=55, loud_db=70))
    t.set_online("buzz-n", True, T0)
    for count, laeq, status, noise in [(3, 40.0, ZoneStatus.FREE, Noise.CALM),
                                       (12, 55.0, ZoneStatus.FILLING, Noise.LIVELY),
                                       (24, 80.0, ZoneStatus.FULL, Noise.LOUD)]:
        t.observe(ob(layout, "buzz-n", 1, count=count), T0)
        t.observe(ob(layout, "buzz-n", 2, laeq=laeq, lamax=laeq + 5), T0)
        z = t.zone("buzz-north", T0)
        assert (z.occupied, z.status, z.noise, z.stale) == (count, status, noise, False)


def test_zone_without_observers_is_stale(layout: Layout) -> None:
    layout2 = layout.model_copy(update={"nodes": [n for n in layout.nodes if n.id != "lounge"]})
    layout2.model_post_init(None)
    z = SiteTracker(layout2).zone("lounge", T0)
    assert z.stale and z.status is ZoneStatus.UNKNOWN


def test_alive_node_not_yet_reporting_sound_is_not_stale(layout: Layout) -> None:
    t = SiteTracker(layout)
    t.set_online("buzz-n", True, T0)
    t.observe(ob(layout, "buzz-n", 1, count=3), T0)  # sound reports once per interval
    z = t.zone("buzz-north", T0 + 1)
    assert (z.occupied, z.laeq, z.noise, z.stale) == (3, None, None, False)
    assert z.status is ZoneStatus.FREE
    # The same zone once its node falls silent: stale, and nothing known.
    z = t.zone("buzz-north", T0 + 10 * HB)
    assert z.stale and z.occupied is None and z.status is ZoneStatus.UNKNOWN
