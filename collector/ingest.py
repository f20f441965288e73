"""One MQTT message in: its points and what it changes in live state, or a counted rejection.

A message is validated once (the topic table, then the contract) and handed to
what this connection feeds: the points of the message itself (`points`), and
the live state (`live`), which derives visits, node status and the zones from
every message. A collector alone feeds both; in a share group the points
stream and the live-state owner's feed are separate connections
(collector/sharing.py), each with an Ingest feeding one of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from collector.live import LiveState
from collector.metrics import Metrics
from collector.points import PointBuilder
from collector.ratelog import RateLimitedLog
from collector.topics import TopicTable
from hubsense.contract import (
    OFFLINE,
    ONLINE,
    NodeTopic,
    Observation,
    Reject,
    RejectedMessage,
    UpdateState,
    check_observation,
    event_time,
    parse_heartbeat,
    parse_offer,
    parse_update,
)

log = logging.getLogger(__name__)

# Larger than any valid payload by far; refuse before parsing a flood of bytes.
MAX_PAYLOAD = 2048

RejectHook = Callable[[str, bytes, RejectedMessage], None]
# Retained on a node's topics: its status (birth and will), and its update offer.
_RETAINED = (NodeTopic.STATUS, NodeTopic.OFFER)


def _check_size(payload: bytes) -> None:
    if len(payload) > MAX_PAYLOAD:
        raise RejectedMessage(Reject.PAYLOAD, f"{len(payload)} bytes is too large")


class Ingest:
    """Validate node messages against the contract and the layout; feed points and live state.

    `points`: build the points of the messages themselves (observations,
    heartbeats), and count and keep rejections. `live`: feed the live state.
    """

    def __init__(self, table: TopicTable, metrics: Metrics, clock: Callable[[], float],
                 *, points: PointBuilder | None, live: LiveState | None,
                 on_reject: RejectHook | None = None) -> None:
        self.table = table
        self.metrics = metrics
        self.clock = clock
        self.points = points
        self.live = live
        self._on_reject = on_reject
        self._rlog = RateLimitedLog(log)

    def handle(self, topic: str, payload: bytes, retained: bool = False) -> list[str]:
        """Return the lines to write for one message; never raises."""
        if self.points is not None:  # the live-state feed sees the same messages again
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
        if self.points is None:
            return  # the points stream sees the same message and counts it
        self.metrics.reject(rej.reason)
        # repr() keeps newlines and control characters in a topic out of the log's format.
        if not self._rlog.warning(rej.reason.value, "rejected %s on %r: %s",
                                  rej.reason.value, topic[:200], rej.detail[:200]):
            self.metrics.logs_suppressed = self._rlog.suppressed
        if self._on_reject is not None:
            self._on_reject(topic, payload, rej)

    def _observed(self, obs: Observation, now: int) -> list[str]:
        out = [self.points.observation(obs)] if self.points is not None else []
        if self.live is not None:
            out += self.live.observed(obs, now)
        return out

    def _handle(self, topic: str, payload: bytes, retained: bool) -> list[str]:
        now = int(self.clock() * 1000)
        route = self.table.input(topic)
        if route is not None and not retained:
            _check_size(payload)
            return self._observed(
                check_observation(route.node, route.input, route.zone, payload, now), now)
        t, route = self.table.resolve(topic)
        _check_size(payload)
        if retained and t.leaf not in _RETAINED:
            raise RejectedMessage(Reject.RETAINED, "a node retains its status only")
        if route is not None:
            return self._observed(
                check_observation(route.node, route.input, route.zone, payload, now), now)
        if t.leaf is NodeTopic.HEARTBEAT:
            hb = parse_heartbeat(payload)
            ts = event_time(hb.ts, hb.synced, now)
            if self.live is not None:
                self.live.heard(t.node, hb, ts, now)
            return [self.points.heartbeat(t.node, hb, ts)] if self.points is not None else []
        if t.leaf is NodeTopic.UPDATE:
            u = parse_update(payload)
            if self.live is not None:
                self.live.updating(t.node, u.release, u.state, event_time(u.ts, u.synced, now),
                                   u.why)
            return []
        if t.leaf is NodeTopic.OFFER:
            if payload and self.live is not None:  # empty: the offer was withdrawn
                o = parse_offer(payload)
                self.live.updating(t.node, o.release, UpdateState.OFFERED, now,
                                   version=o.version)
            return []
        if payload not in (ONLINE, OFFLINE):
            raise RejectedMessage(Reject.PAYLOAD, "status is neither 'online' nor 'offline'")
        if self.live is None:
            return []  # its point is a change, and only the whole stream shows changes
        return self.live.status(t.node, payload == ONLINE, now)
