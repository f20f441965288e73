"""LiveState without a broker: what a retained message does to what the API serves."""

from __future__ import annotations

import json

from api.live import LiveState
from hubsense.contract import collector_heartbeat_topic, collector_status_topic, state_topic
from hubsense.layout import Layout
from hubsense.state import DeskState, DeskStatus, ZoneStatus
from tests.api.conftest import zone_state


def online(layout: Layout) -> LiveState:
    live = LiveState(layout)
    live.set_connected(True)
    live.apply(collector_status_topic(layout.site.id), b"online")
    return live


def status(live: LiveState, zone_id: str) -> ZoneStatus:
    return next(z.status for z in live.snapshot().zones if z.id == zone_id)


def test_state_counts_only_while_connected_and_collector_online(layout: Layout) -> None:
    live = online(layout)
    topic = state_topic(layout.site.id, "zone", "quiet")
    assert live.apply(topic, zone_state(layout, "quiet").model_dump_json().encode())
    assert status(live, "quiet") is ZoneStatus.FREE and live.snapshot().live
    live.set_connected(False)
    assert status(live, "quiet") is ZoneStatus.UNKNOWN
    live.set_connected(True)  # reconnected, but the collector's status is not re-read yet
    assert status(live, "quiet") is ZoneStatus.UNKNOWN
    live.apply(collector_status_topic(layout.site.id), b"online")
    assert status(live, "quiet") is ZoneStatus.FREE


def test_cleared_retained_message_forgets_the_zone(layout: Layout) -> None:
    live = online(layout)
    topic = state_topic(layout.site.id, "zone", "quiet")
    live.apply(topic, zone_state(layout, "quiet").model_dump_json().encode())
    assert live.apply(topic, b"")
    assert status(live, "quiet") is ZoneStatus.UNKNOWN


def test_snapshot_is_cached_until_a_change(layout: Layout) -> None:
    live = online(layout)
    first = live.snapshot()
    assert live.snapshot() is first
    desk = DeskState(id="q-01", zone="quiet", status=DeskStatus.FREE)
    live.apply(state_topic(layout.site.id, "desk", "q-01"), desk.model_dump_json().encode())
    second = live.snapshot()
    assert second is not first and second.version > first.version
    assert next(d for d in second.desks if d.id == "q-01").status is DeskStatus.FREE


def test_a_zone_sent_again_unchanged_wakes_no_stream(layout: Layout) -> None:
    # The collector's beat repeats every zone for Home Assistant (collector/live.py).
    live = online(layout)
    woken: list[int] = []
    live.on_change(lambda: woken.append(1))
    topic = state_topic(layout.site.id, "zone", "quiet")
    payload = zone_state(layout, "quiet").model_dump_json().encode()
    live.apply(topic, payload)
    before, n = live.snapshot(), len(woken)
    assert live.apply(topic, payload)
    assert len(woken) == n and live.snapshot() is before
    live.apply(topic, zone_state(layout, "quiet", occupied=3).model_dump_json().encode())
    assert len(woken) == n + 1 and live.snapshot().version > before.version


def test_rejections_are_counted_by_reason(layout: Layout) -> None:
    live = online(layout)
    site = layout.site.id
    bad = [
        ("hubsense/v1/other-site/state/zone/quiet", b"{}"),
        (f"hubsense/v1/{site}/state/zone/quiet\n", b"{}"),
        (f"hubsense/v1/{site}/state/weather/today", b"{}"),
        (state_topic(site, "desk", "q-99"), b"{}"),
        (state_topic(site, "node", "desk-q1"), b"[1, 2]"),
        (state_topic(site, "zone", "quiet"), json.dumps({"id": "quiet"}).encode()),
    ]
    assert not any(live.apply(topic, payload) for topic, payload in bad)
    assert live.rejected == {"bad_topic": 3, "unknown_id": 1, "bad_payload": 2}
    assert status(live, "quiet") is ZoneStatus.UNKNOWN


def test_node_health_takes_its_id_from_the_topic(layout: Layout) -> None:
    live = online(layout)
    live.apply(state_topic(layout.site.id, "node", "door-1"),
               b'{"id": "desk-q1", "online": true, "fresh": false, "drops": 3}')
    door = next(n for n in live.nodes() if n.id == "door-1")
    assert door.online is True and door.fresh is False and door.drops == 3
    never = next(n for n in live.nodes() if n.id == "desk-q1")
    assert (never.online, never.fresh, never.last_seen_ms) == (False, False, None)


def test_a_hung_collector_is_told_by_its_heartbeat_going_old(layout: Layout) -> None:
    """A hung collector keeps its retained "online"; only its heartbeat stops."""
    now = [1_795_426_000.0]
    live = LiveState(layout, clock=lambda: now[0])
    changes: list[int] = []
    live.on_change(lambda: changes.append(1))
    live.set_connected(True)
    site = layout.site.id
    live.apply(collector_status_topic(site), b"online")
    live.apply(state_topic(site, "zone", "quiet"),
               zone_state(layout, "quiet").model_dump_json().encode())
    beat = json.dumps({"ts": int(now[0] * 1000), "every_s": 30}).encode()
    live.apply(collector_heartbeat_topic(site), beat)
    snap = live.snapshot()
    assert snap.live and snap.collector and status(live, "quiet") is ZoneStatus.FREE
    now[0] += 30 * 2.5 - 1  # still within the stale factor's beats
    live.tick()
    assert live.snapshot().live
    before = len(changes)
    now[0] += 2
    live.tick()  # no message came: time alone changes what is shown, and the streams hear
    assert len(changes) == before + 1
    snap = live.snapshot()
    assert not snap.live and not snap.collector and snap.broker
    assert status(live, "quiet") is ZoneStatus.UNKNOWN
    live.apply(collector_heartbeat_topic(site),
               json.dumps({"ts": int(now[0] * 1000), "every_s": 30}).encode())
    assert status(live, "quiet") is ZoneStatus.FREE


def test_a_bad_collector_heartbeat_is_dropped_and_counted(layout: Layout) -> None:
    live = online(layout)
    topic = collector_heartbeat_topic(layout.site.id)
    for bad in (b"[]", b'{"ts": "x", "every_s": 30}', b'{"ts": 1, "every_s": 0}', b"{"):
        assert not live.apply(topic, bad)
    assert live.rejected["bad_payload"] == 4
