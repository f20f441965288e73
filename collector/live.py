"""Live desk and zone state: re-evaluated on change and on a timer, published retained.

The timer is what turns a silent or offline node's zone stale without any
new message: silence is news too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from collector.ingest import Ingest
from hubsense.contract import state_topic
from hubsense.state import DeskState, NodeHealth, ZoneState

log = logging.getLogger(__name__)

# Coalesce bursts: evaluate at most this often however fast messages arrive.
MIN_GAP_S = 0.05

Publish = Callable[[str, bytes], None]
Emit = Callable[[list[str]], None]

# What makes a state change worth a point in InfluxDB (timestamps alone are not).
_ZONE_KEY = ("status", "occupied", "desks_free", "desks_unknown", "stale", "noise")


class LiveState:
    """Evaluate the tracker, publish what changed, and emit state points."""

    def __init__(self, ingest: Ingest, publish: Publish, emit: Emit,
                 interval_s: float) -> None:
        self.ingest = ingest
        self.site = ingest.site
        self._publish = publish
        self._emit = emit
        self.interval_s = interval_s
        self._zones: dict[str, ZoneState] = {}
        self._desks: dict[str, DeskState] = {}
        self._nodes: dict[str, NodeHealth] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-state", daemon=True)

    def start(self) -> LiveState:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.ingest.changed.set()
        if self._thread.ident is not None:  # a collector that never connected never started it
            self._thread.join(5)

    def forget(self) -> None:
        """Publish everything again on the next evaluation (after a reconnect)."""
        self._zones.clear()
        self._desks.clear()
        self._nodes.clear()
        self.ingest.changed.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.ingest.changed.wait(self.interval_s)
            if self._stop.is_set():
                return
            self.ingest.changed.clear()
            try:
                self.evaluate()
            except Exception:  # keep evaluating: a bug must not freeze the screens
                log.exception("state evaluation failed")
            self._stop.wait(MIN_GAP_S)

    def evaluate(self) -> None:
        now = int(self.ingest.clock() * 1000)
        with self.ingest.lock:
            zones = self.ingest.tracker.zones(now)
            desks = self.ingest.tracker.desks(now)
            nodes = [self._health(n.id, now) for n in self.ingest.layout.nodes]
        for h in nodes:
            if self._nodes.get(h.id) != h:
                self._nodes[h.id] = h
                self._send(state_topic(self.site, "node", h.id), h.model_dump_json())
        lines = self.ingest.lines
        points: list[str] = []
        for d in desks:
            old = self._desks.get(d.id)
            if old == d:
                continue
            self._desks[d.id] = d
            self._send(state_topic(self.site, "desk", d.id), d.model_dump_json())
            if old is None or old.status != d.status:
                points.append(lines.desk_state(d, now))
        for z in zones:
            old_z = self._zones.get(z.id)
            # last_seen_ms moves with every heartbeat; alone it is not worth a message.
            if old_z is not None and old_z.model_copy(update={"last_seen_ms": None}) == \
                    z.model_copy(update={"last_seen_ms": None}):
                continue
            self._zones[z.id] = z
            self._send(state_topic(self.site, "zone", z.id), z.model_dump_json())
            if old_z is None or any(getattr(old_z, k) != getattr(z, k) for k in _ZONE_KEY):
                points.append(lines.zone_state(z, now))
        if points:
            self._emit(points)

    def _health(self, node: str, now: int) -> NodeHealth:
        i = self.ingest
        hb, hb_ts = i.heartbeats.get(node, (None, None))
        return NodeHealth(
            id=node, online=i.online.get(node, False), fresh=i.tracker.node_fresh(node, now),
            last_seen_ms=i.tracker.last_seen(node), last_heartbeat_ms=hb_ts,
            boot=hb.boot if hb else None, fw=hb.fw if hb else None,
            uptime_s=hb.uptime_s if hb else None, heap_free=hb.heap_free if hb else None,
            rssi=hb.rssi if hb else None, drops=hb.drops if hb else None,
            implausible_counts=i.implausible[node])

    def _send(self, topic: str, payload: str) -> None:
        self._publish(topic, payload.encode())
