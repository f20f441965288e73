"""Live state, owned here: what every message changes, evaluated on change and on a
timer, published retained, and written as state points when it changes.

The timer is what turns a silent or offline node's zone stale without any new
message: silence is news too. The same loop beats the collector's own
heartbeat (retained on MQTT and as a point), so the API can tell a hung
collector from a quiet site and reports count the time it was not running as
unknown. Each beat also sends every zone's state again, unchanged, for Home
Assistant, which can only notice silence on an entity's own state topic
(`expire_after`, collector/discovery.py).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

from collector.metrics import Metrics
from collector.points import PointBuilder
from collector.ratelog import RateLimitedLog
from collector.visits import VisitCounter
from hubsense.contract import (
    HeartbeatPayload,
    Observation,
    UpdateState,
    collector_heartbeat_topic,
    state_topic,
)
from hubsense.layout import Measure
from hubsense.passages import Total
from hubsense.state import DeskState, NodeHealth, SiteTracker, ZoneState

log = logging.getLogger(__name__)

# Coalesce bursts: evaluate at most this often however fast messages arrive.
MIN_GAP_S = 0.05

Publish = Callable[[str, bytes], None]
Emit = Callable[[list[str]], None]

# What makes a state change worth a point in InfluxDB (timestamps alone are not).
_ZONE_KEY = ("status", "occupied", "at_least", "desks_free", "desks_unknown", "stale", "noise")


class LiveState:
    """The one owner of live state: the tracker, visits, node health and what was published."""

    def __init__(self, tracker: SiteTracker, points: PointBuilder, metrics: Metrics,
                 publish: Publish, emit: Emit, clock: Callable[[], float],
                 interval_s: float, heartbeat_s: float,
                 linked: Callable[[], bool] = lambda: True) -> None:
        self.tracker = tracker
        self.site = tracker.layout.site.id
        self.points = points
        self.metrics = metrics
        self.clock = clock
        self._publish = publish
        self._emit = emit
        self.interval_s = interval_s
        self.heartbeat_s = heartbeat_s
        self.lock = threading.Lock()  # the MQTT thread writes, the state thread reads
        self.changed = threading.Event()  # set when state may have changed
        self._visits = VisitCounter()
        self._rlog = RateLimitedLog(log)
        self._zones: dict[str, ZoneState] = {}
        self._desks: dict[str, DeskState] = {}
        self._nodes: dict[str, NodeHealth] = {}
        self._beat_at: float | None = None  # when the last collector heartbeat went out
        self.linked = linked  # whether the broker connection is up
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-state", daemon=True)

    # -- what messages change (the MQTT thread) --

    def observed(self, obs: Observation, now: int) -> list[str]:
        """Take a validated observation; return the points it derives (visits)."""
        out = []
        if obs.measure is Measure.PASSAGE:
            p = obs.payload
            assert p.boot is not None and p.ins is not None and p.outs is not None
            step = self._visits.step((obs.node, obs.n), Total(obs.ts_ms, p.boot, p.ins, p.outs))
            if step is not None and step.implausible:
                self._implausible(obs)
            elif step is not None:
                out.append(self.points.visits(obs, step.ins, step.outs))
        with self.lock:
            self.tracker.observe(obs, now)
        self._changed()
        return out

    def heard(self, node: str, hb: HeartbeatPayload, ts: int, now: int) -> None:
        with self.lock:
            self.tracker.heard(node, hb, ts, now)
        self._changed()

    def updating(self, node: str, release: int, state: UpdateState, at: int,
                 why: str | None = None, version: str | None = None) -> None:
        """Take an update offered to a node, or the node's word on how it goes."""
        with self.lock:
            self.tracker.updating(node, release, state, at, why, version)
        self._changed()

    def status(self, node: str, online: bool, now: int) -> list[str]:
        """Take a node's birth or will; return a status point if it is news."""
        with self.lock:
            news = self.tracker.set_online(node, online, now)
        self._changed()
        return [self.points.node_status(node, online, now)] if news else []

    def _implausible(self, obs: Observation) -> None:
        """A door's totals jumped further than people walk: no visits, and say so."""
        self.metrics.inc("implausible_passages")
        with self.lock:
            self.tracker.implausible(obs.node)
        self._rlog.warning("implausible", "node %s input %d: entrance totals jumped to in=%s "
                           "out=%s, more than people can walk through; not counted as visits",
                           obs.node, obs.n, obs.payload.ins, obs.payload.outs)

    def _changed(self) -> None:
        # set() takes a lock, is_set() only reads. Skipping is safe: the state thread
        # clears the flag before it reads the tracker, so what was done here is seen.
        if not self.changed.is_set():
            self.changed.set()

    # -- the state thread --

    def start(self) -> LiveState:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.changed.set()
        if self._thread.ident is not None:  # a collector that never connected never started it
            self._thread.join(5)

    def use(self, tracker: SiteTracker, points: PointBuilder) -> None:
        """Take a new layout version's tracker (made with SiteTracker.with_layout, so it
        keeps what is known) and points: zones and desks it no longer has are cleared
        from the retained state, new ones published on the next evaluation."""
        with self.lock:
            gone = ([state_topic(self.site, "zone", z) for z in self._zones
                     if tracker.layout.zone(z) is None]
                    + [state_topic(self.site, "desk", d) for d in self._desks
                       if d not in {x.id for x in tracker.layout.desks}]
                    + [state_topic(self.site, "node", n) for n in self._nodes
                       if tracker.layout.node(n) is None])
            self.tracker, self.points = tracker, points
            self._zones.clear()
            self._desks.clear()
            self._nodes.clear()
        for topic in gone:
            self._publish(topic, b"")  # an empty retained message clears it
        self.changed.set()

    def forget(self) -> None:
        """Publish everything again on the next evaluation (after a reconnect)."""
        with self.lock:
            self._zones.clear()
            self._desks.clear()
            self._nodes.clear()
        self.changed.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.changed.wait(min(self.interval_s, self.heartbeat_s))
            if self._stop.is_set():
                return
            self.changed.clear()
            try:
                self.evaluate()
                self.beat()
            except Exception:  # keep evaluating: a bug must not freeze the screens
                log.exception("state evaluation failed")
            self._stop.wait(MIN_GAP_S)

    def beat(self) -> None:
        """The collector's own heartbeat, every heartbeat_s: it is running, and live.

        None while the broker is away: the collector hears nothing then, so Grafana and
        reports learn from the missing beats what the API knows from its own link."""
        now = self.clock()
        if not self.linked():
            return
        if self._beat_at is not None and now - self._beat_at < self.heartbeat_s:
            return
        started = self._beat_at is None
        self._beat_at = now
        ms = int(now * 1000)
        self._publish(collector_heartbeat_topic(self.site),
                      json.dumps({"ts": ms, "every_s": self.heartbeat_s}).encode())
        if not started:  # the first beat follows the first evaluation, which sent them all
            for zone_id, z in list(self._zones.items()):
                self._send(state_topic(self.site, "zone", zone_id), z.model_dump_json())
        self._emit([self.points.collector_heartbeat(self.heartbeat_s, started, ms)])

    def evaluate(self) -> None:
        now = int(self.clock() * 1000)
        with self.lock:
            zones = self.tracker.zones(now)
            desks = self.tracker.desks(now)
            nodes = self.tracker.nodes(now)
        for h in nodes:
            if self._nodes.get(h.id) != h:
                self._nodes[h.id] = h
                self._send(state_topic(self.site, "node", h.id), h.model_dump_json())
        points: list[str] = []
        for d in desks:
            old = self._desks.get(d.id)
            if old == d:
                continue
            self._desks[d.id] = d
            self._send(state_topic(self.site, "desk", d.id), d.model_dump_json())
            if old is None or old.status != d.status:
                points.append(self.points.desk_state(d, now))
        for z in zones:
            old_z = self._zones.get(z.id)
            # last_seen_ms moves with every heartbeat; alone it is not worth a message.
            if old_z is not None and old_z.model_copy(update={"last_seen_ms": None}) == \
                    z.model_copy(update={"last_seen_ms": None}):
                continue
            self._zones[z.id] = z
            self._send(state_topic(self.site, "zone", z.id), z.model_dump_json())
            if old_z is None or any(getattr(old_z, k) != getattr(z, k) for k in _ZONE_KEY):
                points.append(self.points.zone_state(z, now))
        if points:
            self._emit(points)

    def _send(self, topic: str, payload: str) -> None:
        self._publish(topic, payload.encode())
