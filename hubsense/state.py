"""What each desk and zone shows, decided once from observations with an explicit clock.

This is the one place the rules live: the collector publishes what it decides
here, and the API, the screen, the event stream, Home Assistant, Grafana and
the reports show that, never their own reading of the raw fields.

Silence is modelled: an input whose node is offline, or has not been heard
for `stale_factor` heartbeats, is *unknown*, never its last value. A zone is
never shown free on the strength of a dead sensor; a zone whose sensors are
partly silent shows what is known, as a lower bound ("at least 1 of 4
reporting desks free, 4 not reporting"), and is free only if a reporting desk
is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from hubsense.contract import HeartbeatPayload, Observation, UpdateState
from hubsense.layout import Desk, Layout, Measure, Text, Zone, ZoneKind
from hubsense.settings import StateSettings


class DeskStatus(StrEnum):
    OCCUPIED = "occupied"
    FREE = "free"
    UNKNOWN = "unknown"


class ZoneStatus(StrEnum):
    FREE = "free"
    FILLING = "filling"
    FULL = "full"
    IN_USE = "in_use"  # a meeting area: one group takes it, whatever its size
    UNKNOWN = "unknown"


class Noise(StrEnum):
    CALM = "calm"
    LIVELY = "lively"
    LOUD = "loud"


SEATABLE = frozenset(ZoneKind) - {ZoneKind.ENTRANCE}


class DeskState(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    zone: str
    status: DeskStatus
    updated_ms: int | None = None


class ZoneState(BaseModel):
    """A zone as the screen and the API show it; published retained by the collector."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: Text
    kind: ZoneKind
    seatable: bool
    capacity: int
    status: ZoneStatus
    occupied: int | None  # people (or taken desks) known now
    desks_total: int
    desks_free: int | None  # free desks among the reporting ones
    desks_unknown: int  # desks whose sensor is silent
    # Some sensor that counts people or desks is silent: `occupied` and
    # `desks_free` are what the reporting ones say, lower bounds of the truth.
    at_least: bool = False
    laeq: float | None = None
    noise: Noise | None = None
    stale: bool  # some input of the zone is silent (its sound, too)
    updated_ms: int | None = None
    last_seen_ms: int | None = None


class NodeUpdate(BaseModel):
    """The latest update release offered to a node and where the node is with it."""

    model_config = ConfigDict(frozen=True)

    release: int
    version: str | None = None  # from the offer
    state: UpdateState
    why: str | None = None  # a refusal's or a rollback's reason, in the node's words
    at_ms: int  # when it got there

    def after(self, release: int, state: UpdateState, why: str | None, at_ms: int,
              version: str | None = None) -> NodeUpdate:
        """This update moved on (or a newer release began); an older release's news,
        or an offer seen again after progress, changes nothing."""
        if release < self.release or (release == self.release and (
                state is self.state or state is UpdateState.OFFERED)):
            return self
        return NodeUpdate(release=release, state=state, why=why, at_ms=at_ms,
                          version=version or (self.version if release == self.release else None))


class NodeHealth(BaseModel):
    """A node as staff see it; published retained by the collector under state/node/<id>."""

    model_config = ConfigDict(frozen=True)

    id: str
    online: bool  # from its birth message and last will
    fresh: bool  # online and heard within stale_factor heartbeats
    last_seen_ms: int | None = None
    last_heartbeat_ms: int | None = None
    boot: str | None = None
    fw: str | None = None
    uptime_s: int | None = None
    heap_free: int | None = None
    rssi: int | None = None
    drops: int | None = None
    # Entrance totals that jumped further than people walk since the collector
    # started (hubsense.passages): a broken or forged counter, not visits.
    implausible_counts: int = 0
    release: int | None = None  # the update release it runs, from its heartbeat
    update: NodeUpdate | None = None  # the latest update offered to it, and how it went


def unknown_zone(zone: Zone, desks_total: int, last: ZoneState | None = None) -> ZoneState:
    """What a zone shows while what feeds it is down (the collector or the broker):
    unknown, with when it was last heard of, never its last value."""
    unknown: dict[str, Any] = {
        "status": ZoneStatus.UNKNOWN, "occupied": None, "at_least": False, "desks_free": None,
        "desks_unknown": desks_total, "laeq": None, "noise": None, "stale": True}
    if last is not None:
        return last.model_copy(update=unknown)
    return ZoneState(id=zone.id, name=zone.name, kind=zone.kind, seatable=zone.kind in SEATABLE,
                     capacity=zone.capacity, desks_total=desks_total, **unknown)


def unknown_desk(desk: Desk, last: DeskState | None = None) -> DeskState:
    """What a desk shows while what feeds it is down: unknown, since when it last changed."""
    return DeskState(id=desk.id, zone=desk.zone, status=DeskStatus.UNKNOWN,
                     updated_ms=last.updated_ms if last else None)


def collector_live(online: bool, beat_ms: int | None, every_s: float | None, now_ms: int,
                   stale_factor: float) -> bool:
    """Whether the collector keeps live state now: it says it is online, and its
    heartbeat (when it sends one) is younger than `stale_factor` beats. A hung
    collector keeps its retained "online"; only its heartbeat goes old."""
    if not online:
        return False
    if beat_ms is None or every_s is None:
        return True  # its first beat is on its way, or it predates heartbeats
    return now_ms - beat_ms <= stale_factor * every_s * 1000


@dataclass(frozen=True)
class Thresholds:
    filling: float = 0.6  # share of capacity from which a zone is "filling"
    lively_db: float = 55.0  # LAeq from which a zone is "lively"
    loud_db: float = 70.0
    stale_factor: float = 2.5  # heartbeats of silence before an input is unknown

    @classmethod
    def of(cls, st: StateSettings) -> Thresholds:
        return cls(filling=st.filling, lively_db=st.lively_db, loud_db=st.loud_db,
                   stale_factor=st.stale_factor)


@dataclass
class _Input:
    value: Observation | None = None


@dataclass
class _Node:
    heartbeat_ms: int
    online: bool = False  # what we believe: its status, or any message since
    said: bool | None = None  # what its last status message (birth or will) said
    last_seen_ms: int | None = None
    inputs: dict[int, _Input] = field(default_factory=dict)
    heartbeat: HeartbeatPayload | None = None
    heartbeat_ts_ms: int | None = None
    implausible: int = 0
    update: NodeUpdate | None = None


class SiteTracker:
    """Holds the latest observation per input and each node's health, and derives
    desk, zone and node state from them: the one owner of live state."""

    def __init__(self, layout: Layout, thresholds: Thresholds | None = None) -> None:
        self.layout = layout
        self.t = thresholds or Thresholds()
        self._nodes = {
            n.id: _Node(n.heartbeat_s * 1000, inputs={i.n: _Input() for i in n.inputs})
            for n in layout.nodes
        }
        # zone id -> [(node id, input)] observing it, desks included
        self._observers: dict[str, list[tuple[str, int, Measure, str | None]]] = {
            z.id: [] for z in layout.zones
        }
        for n in layout.nodes:
            for i in n.inputs:
                self._observers[layout.zone_of(i)].append((n.id, i.n, i.measures, i.desk))

    def with_layout(self, layout: Layout) -> SiteTracker:
        """A tracker for a new layout version that keeps what is known: each node's
        health, and the last value of every input that still measures the same thing
        (a desk moved to another zone keeps its reading; the zones are new sums)."""
        new = SiteTracker(layout, self.t)
        for node_id, node in new._nodes.items():
            old = self._nodes.get(node_id)
            if old is None:
                continue
            node.online, node.said, node.last_seen_ms = old.online, old.said, old.last_seen_ms
            node.heartbeat, node.heartbeat_ts_ms = old.heartbeat, old.heartbeat_ts_ms
            node.implausible, node.update = old.implausible, old.update
            was, now = self.layout.node(node_id), layout.node(node_id)
            assert was is not None and now is not None
            measures = {i.n: i.measures for i in was.inputs}
            for inp in now.inputs:
                kept = old.inputs.get(inp.n)
                if kept is not None and measures.get(inp.n) is inp.measures:
                    node.inputs[inp.n].value = kept.value
        return new

    def observe(self, obs: Observation, now_ms: int) -> None:
        """Take a validated observation; an older one (a redelivery) never wins."""
        node = self._nodes[obs.node]
        node.last_seen_ms = now_ms
        node.online = True
        slot = node.inputs[obs.n]
        if slot.value is None or (obs.ts_ms, obs.seq) >= (slot.value.ts_ms, slot.value.seq):
            slot.value = obs

    def heard(self, node_id: str, hb: HeartbeatPayload, ts_ms: int, now_ms: int) -> None:
        """Take a heartbeat: the node is alive even if nothing changed."""
        node = self._nodes[node_id]
        node.last_seen_ms = now_ms
        node.online = True
        node.heartbeat, node.heartbeat_ts_ms = hb, ts_ms

    def set_online(self, node_id: str, online: bool, now_ms: int) -> bool:
        """Take a status message; True if it changed what was known (a retained status
        seen again on reconnect is not news)."""
        node = self._nodes[node_id]
        changed = node.said != online
        node.said = node.online = online
        if online:
            node.last_seen_ms = now_ms
        return changed

    def updating(self, node_id: str, release: int, state: UpdateState, at_ms: int,
                 why: str | None = None, version: str | None = None) -> None:
        """Take an offer (the fleet login's) or a node's word on an update."""
        node = self._nodes[node_id]
        if node.update is None:
            node.update = NodeUpdate(release=release, version=version, state=state, why=why,
                                     at_ms=at_ms)
        else:
            node.update = node.update.after(release, state, why, at_ms, version)

    def implausible(self, node_id: str) -> None:
        """Note an entrance total that jumped further than people walk (hubsense.passages)."""
        self._nodes[node_id].implausible += 1

    def last_seen(self, node_id: str) -> int | None:
        return self._nodes[node_id].last_seen_ms

    def node_fresh(self, node_id: str, now_ms: int) -> bool:
        node = self._nodes[node_id]
        if not node.online or node.last_seen_ms is None:
            return False
        return now_ms - node.last_seen_ms <= self.t.stale_factor * node.heartbeat_ms

    def nodes(self, now_ms: int) -> list[NodeHealth]:
        """Every node of the layout as staff see it."""
        out = []
        for node_id, node in self._nodes.items():
            hb = node.heartbeat
            out.append(NodeHealth(
                id=node_id, online=node.online, fresh=self.node_fresh(node_id, now_ms),
                last_seen_ms=node.last_seen_ms, last_heartbeat_ms=node.heartbeat_ts_ms,
                boot=hb.boot if hb else None, fw=hb.fw if hb else None,
                uptime_s=hb.uptime_s if hb else None, heap_free=hb.heap_free if hb else None,
                rssi=hb.rssi if hb else None, drops=hb.drops if hb else None,
                implausible_counts=node.implausible, release=hb.rel if hb else None,
                update=node.update))
        return out

    def _value(self, node_id: str, n: int, now_ms: int) -> Observation | None:
        if not self.node_fresh(node_id, now_ms):
            return None
        return self._nodes[node_id].inputs[n].value

    def desks(self, now_ms: int) -> list[DeskState]:
        out = []
        for zone in self.layout.zones:
            for node_id, n, _m, desk in self._observers[zone.id]:
                if desk is None:
                    continue
                obs = self._value(node_id, n, now_ms)
                if obs is None:
                    status = DeskStatus.UNKNOWN
                else:
                    status = DeskStatus.OCCUPIED if obs.payload.present else DeskStatus.FREE
                out.append(DeskState(id=desk, zone=zone.id, status=status,
                                     updated_ms=obs.ts_ms if obs else None))
        return out

    def zone(self, zone_id: str, now_ms: int) -> ZoneState:
        zone = self.layout.zone(zone_id)
        assert zone is not None
        observers = self._observers[zone_id]
        desks_total = len(self.layout.desks_in(zone_id))
        desk_free = desk_busy = 0
        count: int | None = None
        present: bool | None = None
        laeq: float | None = None
        stale = not observers
        people_silent = False  # a sensor that counts people (or a desk) says nothing now
        updated: list[int] = []
        seen: list[int] = []
        for node_id, n, measure, desk in observers:
            last = self._nodes[node_id].last_seen_ms
            if last is not None:
                seen.append(last)
            if not self.node_fresh(node_id, now_ms):
                stale = True  # offline or silent: its inputs are unknown
                people_silent |= measure is not Measure.SOUND
                continue
            obs = self._nodes[node_id].inputs[n].value
            if obs is None:
                # alive but not reported yet (a sound interval): unknown, not stale
                people_silent |= measure is not Measure.SOUND
                continue
            updated.append(obs.ts_ms)
            p = obs.payload
            if desk is not None:
                desk_busy += bool(p.present)
                desk_free += not p.present
            elif measure is Measure.COUNT:
                count = p.count
            elif measure is Measure.PRESENCE:
                present = p.present
            elif measure is Measure.SOUND:
                laeq = p.laeq
        desks_unknown = desks_total - desk_free - desk_busy

        occupied: int | None
        if count is not None:
            occupied = count
        elif desks_total and desks_unknown < desks_total:
            occupied = desk_busy
        elif present is not None:
            occupied = 1 if present else 0
        else:
            occupied = None

        at_least = occupied is not None and people_silent
        status = self._status(zone.kind, zone.capacity, occupied, desks_total, desk_free,
                              desks_unknown)
        noise = None
        if laeq is not None:
            noise = (Noise.LOUD if laeq >= self.t.loud_db
                     else Noise.LIVELY if laeq >= self.t.lively_db else Noise.CALM)
        return ZoneState(
            id=zone.id, name=zone.name, kind=zone.kind, seatable=zone.kind in SEATABLE,
            capacity=zone.capacity, status=status, occupied=occupied, at_least=at_least,
            desks_total=desks_total,
            desks_free=desk_free if desks_total and desks_unknown < desks_total else None,
            desks_unknown=desks_unknown, laeq=laeq, noise=noise, stale=stale,
            updated_ms=max(updated, default=None), last_seen_ms=max(seen, default=None),
        )

    def _status(self, kind: ZoneKind, capacity: int, occupied: int | None, desks_total: int,
                desks_free: int, desks_unknown: int) -> ZoneStatus:
        if occupied is None:
            return ZoneStatus.UNKNOWN
        if kind is ZoneKind.MEETING_AREA:
            # One group takes a meeting area: it is in use or free, never "filling".
            return ZoneStatus.IN_USE if occupied > 0 else ZoneStatus.FREE
        if desks_total:
            known = desks_total - desks_unknown
            if desks_free == 0:
                # No free desk among the known ones: full only if we know them all.
                return ZoneStatus.FULL if desks_unknown == 0 else ZoneStatus.UNKNOWN
            # A reporting desk is free: the zone is, at least that much. Filling is
            # judged on the desks known to be taken, a lower bound.
            share = (known - desks_free) / desks_total
            return ZoneStatus.FILLING if share >= self.t.filling else ZoneStatus.FREE
        if capacity == 0 or occupied >= capacity:
            return ZoneStatus.FULL
        return ZoneStatus.FILLING if occupied / capacity >= self.t.filling else ZoneStatus.FREE

    def zones(self, now_ms: int) -> list[ZoneState]:
        return [self.zone(z.id, now_ms) for z in self.layout.zones]
