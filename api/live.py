"""The site's live state as the collector last published it, held in memory.

Fed from retained MQTT messages (see `api.subscriber`); every request is
answered from here, never from a database. While the broker connection is
down or the collector is not `online`, every zone reads *unknown*: a zone is
never shown free on the strength of a dead pipeline.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from hubsense.contract import ONLINE, ROOT
from hubsense.layout import ID_RE, Desk, Layout, Zone
from hubsense.state import (
    DeskState,
    NodeHealth,
    Thresholds,
    ZoneState,
    collector_live,
    unknown_desk,
    unknown_zone,
)
from hubsense.suggest import Suggestions, suggest

log = logging.getLogger(__name__)

M = TypeVar("M", ZoneState, DeskState, NodeHealth)


class Rejected(ValueError):
    """A state message that was dropped; `reason` is what gets counted."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class Snapshot:
    """One consistent view of the state; `version` grows with every change."""

    version: int
    live: bool
    broker: bool  # the API's connection to the broker is up
    collector: bool  # the collector says it is online
    zones: tuple[ZoneState, ...]
    desks: tuple[DeskState, ...]
    suggestions: Suggestions
    _memo: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def encoded(self, key: str, build: Callable[[], bytes]) -> bytes:
        """Serialise once per state version: most requests just copy bytes."""
        body = self._memo.get(key)
        if body is None:
            body = self._memo[key] = build()
        return body


class LiveState:
    """Hold the latest retained state per zone, desk and node, thread-safely."""

    def __init__(self, layout: Layout, thresholds: Thresholds | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.layout = layout
        self.thresholds = thresholds or Thresholds()
        self.clock = clock
        self._prefix = f"{ROOT}/{layout.site.id}/"
        self._lock = threading.Lock()
        self._zones: dict[str, ZoneState] = {}
        self._desks: dict[str, DeskState] = {}
        self._nodes: dict[str, NodeHealth] = {}
        self._connected = False
        self._collector_online = False
        self._beat: tuple[int, float] | None = None  # the collector's last heartbeat, its interval
        self._live = False  # as last decided: tick() tells the streams when time changed it
        self._version = 0
        self._snapshot: Snapshot | None = None
        self.rejected: Counter[str] = Counter()
        self._listeners: list[Callable[[], None]] = []
        self._desk_ids = {d.id: d.zone for d in layout.desks}
        self._desks_total = {z.id: len(layout.desks_in(z.id)) for z in layout.zones}

    def use_layout(self, layout: Layout) -> None:
        """Serve a new layout version: its zones and desks, unknown until the collector
        publishes them; what it no longer has is forgotten."""
        with self._lock:
            self.layout = layout
            self._desk_ids = {d.id: d.zone for d in layout.desks}
            self._desks_total = {z.id: len(layout.desks_in(z.id)) for z in layout.zones}
            self._zones = {k: v for k, v in self._zones.items() if layout.zone(k) is not None}
            self._desks = {k: v for k, v in self._desks.items() if k in self._desk_ids}
            self._nodes = {k: v for k, v in self._nodes.items() if layout.node(k) is not None}
        self._changed()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` (from the MQTT thread) after every change."""
        self._listeners.append(listener)

    def set_connected(self, connected: bool) -> None:
        """Note the broker connection; a lost one also forgets the collector's status."""
        with self._lock:
            self._connected = connected
            if not connected:
                self._collector_online = False
        self._changed()

    def apply(self, topic: str, payload: bytes) -> bool:
        """Take one retained message; a bad one is logged, counted and dropped."""
        try:
            with self._lock:
                news = self._apply(topic, payload)
        except (ValueError, ValidationError) as exc:
            reason = exc.reason if isinstance(exc, Rejected) else "bad_payload"
            self.rejected[reason] += 1
            log.warning("dropped state message on %s: %s", topic, exc)
            return False
        if news:
            self._changed()
        return True

    def _apply(self, topic: str, payload: bytes) -> bool:
        """Store the message; False if it repeats what is stored (the collector's beat
        republishes every zone for Home Assistant: no news for the screens)."""
        if not topic.startswith(self._prefix):
            raise Rejected("bad_topic", "not this site")
        parts = topic[len(self._prefix):].split("/")
        if parts == ["collector", "status"]:
            self._collector_online = payload == ONLINE
            return True
        if parts == ["collector", "heartbeat"]:
            self._beat = _beat(payload)
            return True
        if len(parts) != 3 or parts[0] != "state" or not ID_RE.fullmatch(parts[2]):
            raise Rejected("bad_topic", "not a state topic")
        what, ident = parts[1], parts[2]
        if what == "zone" and self.layout.zone(ident) is not None:
            return self._store(self._zones, ident, payload, ZoneState.model_validate_json)
        if what == "desk" and ident in self._desk_ids:
            return self._store(self._desks, ident, payload, DeskState.model_validate_json)
        if what == "node" and self.layout.node(ident) is not None:
            return self._store(self._nodes, ident, payload,
                               lambda raw: NodeHealth.model_validate(_with_id(raw, ident)))
        if what in ("zone", "desk", "node"):
            raise Rejected("unknown_id", f"{what} '{ident}' is not in the layout")
        raise Rejected("bad_topic", f"unknown state kind '{what}'")

    @staticmethod
    def _store(store: dict[str, M], ident: str, payload: bytes,
               parse: Callable[[bytes], M]) -> bool:
        """Keep the value; False if it is the one already kept."""
        if not payload:  # a cleared retained message
            return store.pop(ident, None) is not None
        value = parse(payload)
        if value.id != ident:
            raise Rejected("bad_payload", f"id does not match topic '{ident}'")
        if store.get(ident) == value:
            return False
        store[ident] = value
        return True

    def _changed(self) -> None:
        with self._lock:
            self._version += 1
            self._snapshot = None
        for listener in self._listeners:
            listener()

    def _collector(self) -> bool:
        beat_ms, every_s = self._beat or (None, None)
        return collector_live(self._collector_online, beat_ms, every_s,
                              int(self.clock() * 1000), self.thresholds.stale_factor)

    def _decide(self) -> bool:
        return self._connected and self._collector()

    @property
    def live(self) -> bool:
        with self._lock:
            return self._decide()

    def tick(self) -> None:
        """Re-decide with the clock: a collector whose heartbeat went old (hung, not
        dead: its "online" stays) makes every zone unknown without any message."""
        with self._lock:
            changed = self._snapshot is not None and self._decide() != self._live
        if changed:
            self._changed()

    def snapshot(self) -> Snapshot:
        """Return the current state, zones in layout order; cached until the next change."""
        with self._lock:
            if self._snapshot is None:
                live = self._live = self._decide()
                zones = tuple(self._zone(z, live) for z in self.layout.zones)
                desks = tuple(self._desk(d, live) for d in self.layout.desks)
                self._snapshot = Snapshot(self._version, live, self._connected,
                                          self._collector(), zones, desks,
                                          suggest(zones, self.thresholds))
            return self._snapshot

    def nodes(self) -> list[NodeHealth]:
        """Return every layout node's last published health; never heard of: offline."""
        with self._lock:
            return [self._nodes.get(n.id) or NodeHealth(id=n.id, online=False, fresh=False)
                    for n in self.layout.nodes]

    def _zone(self, zone: Zone, live: bool) -> ZoneState:
        state = self._zones.get(zone.id)
        if state is not None and live:
            return state
        return unknown_zone(zone, self._desks_total[zone.id], state)

    def _desk(self, desk: Desk, live: bool) -> DeskState:
        state = self._desks.get(desk.id)
        if state is not None and live:
            return state
        return unknown_desk(desk, state)


def _beat(payload: bytes) -> tuple[int, float] | None:
    """The collector's heartbeat `{"ts": ms, "every_s": s}`; an empty payload clears it."""
    if not payload:
        return None
    data = json.loads(payload)
    if not isinstance(data, dict):
        raise Rejected("bad_payload", "collector heartbeat is not a JSON object")
    ts, every = data.get("ts"), data.get("every_s")
    if not isinstance(ts, int) or not isinstance(every, int | float) or not 0 < every <= 3600:
        raise Rejected("bad_payload", "collector heartbeat needs ts (ms) and every_s")
    return ts, float(every)


def _with_id(payload: bytes, ident: str) -> dict[str, Any]:
    """Give a node health payload the id its topic names: the topic is authoritative."""
    data = json.loads(payload)
    if not isinstance(data, dict):
        raise Rejected("bad_payload", "node health is not a JSON object")
    return {**data, "id": ident}
