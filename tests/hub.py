"""A hub lived through the collector's and the API's own code on a test clock.

Node messages go as MQTT topics and JSON payloads through collector.ingest.Ingest;
collector.live.LiveState decides every state with hubsense.state, writes its points
when they change (rendered by collector.points.PointBuilder) and publishes the
retained state that api.live.LiveState, the API's own view, and Home Assistant
(tests/collector/homeassistant.py, on the collector's own discovery configs) take
in. So a dashboard query, a report, the API and Home Assistant read the same
moment of the same pipeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from api.live import LiveState as ApiView
from api.routes.stream import event_bytes
from api.routes.zones import zones_body
from collector.discovery import Discovery
from collector.ingest import Ingest
from collector.live import LiveState
from collector.metrics import Metrics
from collector.points import PointBuilder
from collector.topics import TopicTable
from hubsense.contract import (
    ONLINE,
    collector_status_topic,
    node_topic,
)
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.state import DeskState, SiteTracker, Thresholds, ZoneState
from tests.collector.homeassistant import Clock, HomeAssistant

BEAT_S = 30  # collector.heartbeat_s, and every node's heartbeat_s in the example layout


@dataclass(frozen=True)
class Moment:
    """What the API showed at `at_ms`."""

    name: str
    at_ms: int
    live: bool
    zones: dict[str, ZoneState]
    desks: dict[str, DeskState]
    body: bytes  # GET /api/v1/zones
    event: bytes  # what GET /api/v1/stream sends
    ha: dict[str, str]  # every Home Assistant entity's state, by unique_id


@dataclass
class Hub:
    layout: Layout
    now_ms: int
    lines: list[str] = field(default_factory=list)
    alive: set[str] = field(default_factory=set)  # nodes that beat and are heard
    collector_up: bool = False
    broker_up: bool = True
    moments: dict[str, Moment] = field(default_factory=dict)
    _seq: int = 0

    def __post_init__(self) -> None:
        self.site = self.layout.site.id
        self.points = PointBuilder(self.layout)
        self.api = ApiView(self.layout, clock=self.clock)
        self.api.set_connected(True)
        self.discovery = Discovery(self.layout, "homeassistant", Thresholds().stale_factor,
                                   BEAT_S)
        self.ha_clock = Clock(self.clock())
        self.ha = HomeAssistant(self.discovery.configs, self.ha_clock)

    def clock(self) -> float:
        return self.now_ms / 1000

    def start_collector(self) -> None:
        """A (re)started collector: a new live state that writes every state once."""
        self.live = LiveState(SiteTracker(self.layout), self.points, Metrics(), self._publish,
                              self.lines.extend, self.clock, interval_s=1, heartbeat_s=BEAT_S,
                              linked=lambda: self.broker_up)
        self.ingest = Ingest(TopicTable(self.layout), Metrics(), self.clock,
                             points=self.points, live=self.live)
        self.collector_up = True
        self._publish(collector_status_topic(self.site), ONLINE)
        for node in self.alive:  # the broker hands over every node's retained status
            self._send(node, "status", ONLINE, retained=True)

    def hang_collector(self) -> None:
        """It stops working but keeps its retained "online": only its heartbeat goes old."""
        self.collector_up = False

    def cut_broker(self) -> None:
        """The broker goes away: nothing reaches the collector, the API or Home Assistant,
        and each knows its own link is down."""
        self.broker_up = False
        self.api.set_connected(False)
        self.ha.link.connected = False

    def mend_broker(self) -> None:
        """The broker is back: the collector reconnects, says it is online and publishes
        everything again (collector/service.py on connecting); the nodes come back."""
        self.broker_up = True
        self.api.set_connected(True)
        self.ha.link.connected = True
        self._publish(collector_status_topic(self.site), ONLINE)
        self.live.forget()
        self.start(*self.alive)

    def start(self, *nodes: str) -> None:
        for node in nodes:
            self.alive.add(node)
            self._send(node, "status", ONLINE, retained=True)

    def die(self, *nodes: str) -> None:
        """Nodes that go silent without a word (power cut, hung firmware)."""
        self.alive.difference_update(nodes)

    def observe(self, node: str, n: int, **values: object) -> None:
        if node in self.alive:
            self._send(node, f"in/{n}", self._payload(**values))

    def run_until(self, until_ms: int) -> None:
        """Step the clock a second at a time: heartbeats, evaluation, the collector's beat."""
        while self.now_ms < until_ms:
            self.now_ms += 1000
            self.ha_clock.t = self.clock()
            if self.now_ms % (BEAT_S * 1000) == 0:
                for node in sorted(self.alive):
                    self._send(node, "heartbeat", self._payload(
                        boot="ab12", fw="0.1.0", uptime_s=60, heap_free=60000, rssi=-60,
                        drops=0))
            if not self.collector_up:
                continue
            self.live.evaluate()
            self.live.beat()  # every BEAT_S, by the collector's own rule

    def remember(self, name: str) -> Moment:
        """Note what the API shows now, under `name`."""
        self.api.tick()
        snap = self.api.snapshot()
        ha = {uid: self.ha.state(uid) for uid in self.ha.entities}
        m = Moment(name, self.now_ms, snap.live, {z.id: z for z in snap.zones},
                   {d.id: d for d in snap.desks}, zones_body(snap), event_bytes(snap), ha)
        self.moments[name] = m
        return m

    def write(self, db: InfluxV1) -> None:
        db.create_database()
        for i in range(0, len(self.lines), 5000):
            db.write_lines("\n".join(self.lines[i:i + 5000]))
        self.lines.clear()

    def _payload(self, **values: object) -> bytes:
        self._seq += 1
        return json.dumps({"seq": self._seq, "ts": self.now_ms, "synced": True,
                           **values}).encode()

    def _publish(self, topic: str, payload: bytes) -> None:
        """The collector's retained state, as the broker hands it on."""
        if self.broker_up:
            self.api.apply(topic, payload)
            self.ha.receive(topic, payload)

    def _send(self, node: str, leaf: str, payload: bytes, retained: bool = False) -> None:
        if self.collector_up and self.broker_up:
            self.lines += self.ingest.handle(node_topic(self.site, node, leaf), payload,
                                             retained=retained)
