"""One MQTT message in: line protocol and tracker updates out, or a counted rejection."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from collector.lines import LineBuilder
from collector.metrics import Metrics
from collector.ratelog import RateLimitedLog
from collector.visits import VisitCounter
from hubsense.contract import (
    OFFLINE,
    ONLINE,
    HeartbeatPayload,
    NodeTopic,
    Observation,
    Reject,
    RejectedMessage,
    check_observation,
    event_time,
    input_topic,
    parse_heartbeat,
    parse_node_topic,
    parse_observation,
    require_node,
)
from hubsense.layout import Input, Layout, Measure
from hubsense.passages import Total
from hubsense.state import SiteTracker

log = logging.getLogger(__name__)

# Larger than any valid payload by far; refuse before parsing a flood of bytes.
MAX_PAYLOAD = 2048

RejectHook = Callable[[str, bytes, RejectedMessage], None]


def _check_size(payload: bytes) -> None:
    if len(payload) > MAX_PAYLOAD:
        raise RejectedMessage(Reject.PAYLOAD, f"{len(payload)} bytes is too large")


class Ingest:
    """Validate node messages against the contract and the layout; feed the tracker.

    `raw`: return the points of the messages themselves (observations,
    heartbeats). `derived`: feed the tracker and return what needs the whole
    stream (visits, node status changes). A collector alone does both; in a
    share group they are split (collector/sharing.py).
    """

    def __init__(self, layout: Layout, tracker: SiteTracker, metrics: Metrics,
                 clock: Callable[[], float] = time.time,
                 on_reject: RejectHook | None = None, *, raw: bool = True,
                 derived: bool = True) -> None:
        self.raw = raw
        self.derived = derived
        self.layout = layout
        self.site = layout.site.id
        self.tracker = tracker
        self.metrics = metrics
        self.lines = LineBuilder(layout)
        self.clock = clock
        self.lock = threading.Lock()  # guards the tracker; the state thread reads it
        self.changed = threading.Event()  # set when state may have changed
        self._on_reject = on_reject
        self._rlog = RateLimitedLog(log)
        # Node health, read by the state thread under `lock`.
        self.online: dict[str, bool] = {}
        self.heartbeats: dict[str, tuple[HeartbeatPayload, int]] = {}
        self.implausible: Counter[str] = Counter()  # per node: refused entrance jumps
        self.visits = VisitCounter()
        # Every valid input topic, resolved once: what parse_node_topic and the
        # layout would answer, for one dict lookup. Anything else takes the full path.
        self._inputs: dict[str, tuple[str, Input, str]] = {
            input_topic(self.site, node.id, inp.n): (node.id, inp, layout.zone_of(inp))
            for node in layout.nodes for inp in node.inputs}

    def handle(self, topic: str, payload: bytes, retained: bool = False) -> list[str]:
        """Return the lines to write for one message; never raises."""
        self.metrics.messages += 1  # only the MQTT thread writes this counter
        try:
            return self._handle(topic, payload, retained)
        except RejectedMessage as rej:
            self.reject(topic, payload, rej)
        except Exception:  # a bug must cost one message, not the loop
            self.metrics.inc("internal_errors")
            log.exception("unexpected error handling a message on %r", topic[:200])
        return []

    def reject(self, topic: str, payload: bytes, rej: RejectedMessage) -> None:
        if not self.raw:
            return  # the points stream sees the same message and counts it
        self.metrics.reject(rej.reason)
        # repr() keeps newlines and control characters in a topic out of the log's format.
        if not self._rlog.warning(rej.reason.value, "rejected %s on %r: %s",
                                  rej.reason.value, topic[:200], rej.detail[:200]):
            self.metrics.logs_suppressed = self._rlog.suppressed
        if self._on_reject is not None:
            self._on_reject(topic, payload, rej)

    def _observed(self, obs: Observation, now: int) -> list[str]:
        out = [self.lines.observation(obs)] if self.raw else []
        if not self.derived:
            return out
        if obs.measure is Measure.PASSAGE:
            p = obs.payload
            assert p.boot is not None and p.ins is not None and p.outs is not None
            step = self.visits.step((obs.node, obs.n), Total(obs.ts_ms, p.boot, p.ins, p.outs))
            if step is not None and step.implausible:
                self._implausible(obs)
            elif step is not None:
                out.append(self.lines.visits(obs, step.ins, step.outs))
        with self.lock:
            self.tracker.observe(obs, now)
        self._changed()
        return out

    def _implausible(self, obs: Observation) -> None:
        """A door's totals jumped further than people walk: no visits, and say so."""
        self.metrics.inc("implausible_passages")
        with self.lock:
            self.implausible[obs.node] += 1
        self._rlog.warning("implausible", "node %s input %d: entrance totals jumped to in=%s "
                           "out=%s, more than people can walk through; not counted as visits",
                           obs.node, obs.n, obs.payload.ins, obs.payload.outs)

    def _changed(self) -> None:
        # set() takes a lock, is_set() only reads. Skipping is safe: the state thread
        # clears the flag before it reads the tracker, so what was done here is seen.
        if not self.changed.is_set():
            self.changed.set()

    def _handle(self, topic: str, payload: bytes, retained: bool) -> list[str]:
        now = int(self.clock() * 1000)
        known = self._inputs.get(topic)
        if known is not None and not retained:
            _check_size(payload)
            return self._observed(check_observation(*known, payload, now), now)
        t = parse_node_topic(topic, self.site)
        _check_size(payload)
        if retained and t.leaf is not NodeTopic.STATUS:
            raise RejectedMessage(Reject.RETAINED, "a node retains its status only")
        if t.leaf is NodeTopic.INPUT:
            return self._observed(parse_observation(self.layout, t, payload, now), now)
        require_node(self.layout, t.node)
        if t.leaf is NodeTopic.HEARTBEAT:
            hb = parse_heartbeat(payload)
            ts = event_time(hb.ts, hb.synced, now)
            if self.derived:
                with self.lock:
                    self.tracker.heard(t.node, now)
                    self.heartbeats[t.node] = (hb, ts)
                self._changed()
            return [self.lines.heartbeat(t.node, hb, ts)] if self.raw else []
        if payload not in (ONLINE, OFFLINE):
            raise RejectedMessage(Reject.PAYLOAD, "status is neither 'online' nor 'offline'")
        if not self.derived:
            return []  # its point is a change, and only the whole stream shows changes
        online = payload == ONLINE
        with self.lock:
            self.tracker.set_online(t.node, online, now)
            old = self.online.get(t.node)
            self.online[t.node] = online
        self._changed()
        if old == online:
            return []  # a retained status seen again on reconnect is not news
        return [self.lines.node_status(t.node, online, now)]
