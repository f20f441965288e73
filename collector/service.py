"""The collector service: MQTT in, InfluxDB and retained live state out."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from collector.deadletter import DeadLetters
from collector.discovery import Discovery
from collector.ingest import Ingest
from collector.live import LiveState
from collector.metrics import Metrics, MetricsServer
from collector.mqttclient import FastClient, connect_persistent
from collector.points import PointBuilder
from collector.sharing import StateFeed, subscriptions
from collector.spool import Spool
from collector.topics import TopicTable
from collector.writer import BatchWriter, Item
from hubsense.contract import (
    OFFLINE,
    ONLINE,
    RejectedMessage,
    collector_status_topic,
)
from hubsense.influx import InfluxError, InfluxV1
from hubsense.layout import Layout, load_layout
from hubsense.layouts import LayoutWatch
from hubsense.mqttlink import make_client, shut
from hubsense.retention import apply_raw_retention
from hubsense.settings import Settings, require_credentials
from hubsense.state import SiteTracker, Thresholds

log = logging.getLogger(__name__)

# Keep the session (and the messages queued in it) for a day of collector downtime.
# Bound paho's own outgoing queue (state publishes while the broker is away).
MAX_OUTGOING_QUEUE = 10_000


class Collector:
    """Wire MQTT, validation, live state and the InfluxDB writer into one service."""

    def __init__(self, settings: Settings, layout: Layout | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        cfg = settings.collector
        self._creds = require_credentials(cfg.mqtt, "collector")
        self.layout = layout or load_layout(settings.layout)
        self.site = self.layout.site.id
        self.metrics = Metrics()
        self.dead_letters = DeadLetters(cfg.spool_dir.parent / "dead-letter.jsonl")
        self.influx = InfluxV1(settings.influx)
        spool = Spool(cfg.spool_dir, cfg.spool_max_mb * 1024 * 1024)
        self.writer = BatchWriter(self.influx, self.metrics, self._ack, cfg.batch_size,
                                  cfg.flush_interval_s, spool)
        table = TopicTable(self.layout)
        points = PointBuilder(self.layout)
        self.live: LiveState | None = None
        self.feed: StateFeed | None = None
        self.discovery: Discovery | None = None
        if cfg.live_state:
            self.live = LiveState(SiteTracker(self.layout, Thresholds.of(settings.state)),
                                  points, self.metrics, self._publish_state, self.writer.put,
                                  clock, cfg.evaluate_interval_s, cfg.heartbeat_s,
                                  linked=lambda: self.connected.is_set())
            self.discovery = Discovery(self.layout, cfg.ha_prefix, settings.state.stale_factor,
                                       cfg.heartbeat_s, cfg.ha_discovery)
        # In a share group the points stream feeds no live state: the owner's own
        # whole-stream connection does (collector/sharing.py).
        self.ingest = Ingest(table, self.metrics, clock, points=points,
                             live=None if cfg.share_group else self.live,
                             on_reject=self._dead_letter)
        if self.live is not None and cfg.share_group:
            feed = Ingest(table, self.metrics, clock, points=None, live=self.live)
            state_creds = require_credentials(cfg.state_mqtt, "collector.state")
            self.feed = StateFeed(settings.mqtt, state_creds, self.site, feed, self.writer.put)
        self.metrics_server = (MetricsServer(self.metrics, cfg.metrics_port, cfg.metrics_host)
                               if cfg.metrics_port else None)
        self._closing = False
        self.connected = threading.Event()
        self.client = self._make_client()
        self.watch = (LayoutWatch(settings.layout, self.use_layout, settings.layout_watch_s)
                      if settings.layout_watch_s and layout is None else None)

    def _make_client(self) -> FastClient:
        c = make_client(self.settings.mqtt, self._creds, client_class=FastClient,
                        manual_ack=True)
        assert isinstance(c, FastClient)
        if self.live:  # the status topic says whether live state is kept
            c.will_set(collector_status_topic(self.site), OFFLINE, qos=1, retain=True)
        if self.discovery:
            self.discovery.attach(c)
        c.max_queued_messages_set(MAX_OUTGOING_QUEUE)
        c.reconnect_delay_set(1, 5)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_read_done = self.writer.hand_over
        return c

    def use_layout(self, layout: Layout) -> None:
        """Take a new layout version without a restart or a lost message.

        The MQTT thread handles each message with the table and points it read
        at the start of that message; the swap is one assignment each, so every
        message is tagged by one version, the one in force when it came.
        """
        if layout.site.id != self.site:
            log.error("layout for site %s ignored: this collector is site %s's",
                      layout.site.id, self.site)
            return
        table, points = TopicTable(layout), PointBuilder(layout)
        if self.live is not None:
            self.live.use(self.live.tracker.with_layout(layout), points)
        if self.discovery is not None:
            self.discovery.use_layout(layout)
            if self.client.is_connected():  # else on connecting, as always
                self.discovery.announce(self.client)
        self.ingest.table, self.ingest.points = table, points
        if self.feed is not None:
            self.feed.ingest.table = table
        self.layout = layout
        log.info("collector: layout version %d in use", layout.version)

    def start(self, timeout: float = 15.0) -> Collector:
        """Connect and begin; returns once subscribed (or raises after `timeout`)."""
        days = self.settings.influx.raw_retention_days
        if days is not None:
            try:
                apply_raw_retention(self.influx, days)
            except InfluxError as exc:  # InfluxDB away: the writer spools, the policy waits
                log.warning("raw retention not set yet: %s", exc)
        self.writer.start()
        if self.metrics_server:
            self.metrics_server.start()
        m = self.settings.mqtt
        connect_persistent(self.client, m)
        if not self.connected.wait(timeout):
            self.stop()
            raise TimeoutError(f"collector could not connect to MQTT at {m.host}:{m.port}")
        if self.live:
            self.live.start()
        if self.feed:
            self.feed.start()
        if self.watch:
            self.watch.start()
        log.info("collector for site %s running", self.site)
        return self

    def stop(self) -> None:
        """Drain and acknowledge what was received, say offline, disconnect."""
        self._closing = True  # later messages stay unacknowledged: the broker keeps them
        if self.watch:
            self.watch.stop()
        if self.live:
            self.live.stop()
        if self.feed:
            self.feed.stop()
        self.writer.stop()
        if self.live and self.client.is_connected():
            info = self.client.publish(collector_status_topic(self.site), OFFLINE, qos=1,
                                       retain=True)
            try:
                info.wait_for_publish(5)
            except (RuntimeError, ValueError):
                log.warning("could not publish collector offline status")
        shut(self.client)
        self.influx.close()
        self.dead_letters.close()
        if self.metrics_server:
            self.metrics_server.stop()
        log.info("collector stopped")

    def __enter__(self) -> Collector:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- paho callbacks (run on paho's network thread) --

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: mqtt.ConnectFlags,
                    rc: ReasonCode, _p: Properties | None) -> None:
        if rc.is_failure:
            log.error("MQTT connection refused: %s", rc)
            return
        client.subscribe(subscriptions(self.site, self.settings.collector.share_group))
        if self.live:
            client.publish(collector_status_topic(self.site), ONLINE, qos=1, retain=True)
            self.live.forget()
        if self.discovery:
            self.discovery.announce(client)
        log.info("MQTT connected (session present: %s)", flags.session_present)
        self.connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: mqtt.DisconnectFlags,
                       rc: ReasonCode, _p: Properties | None) -> None:
        self.connected.clear()
        if not self._closing:
            log.warning("MQTT disconnected (%s); reconnecting", rc)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        if self._closing:
            return
        self.writer.begin()  # before counting it: "idle" must never see it half-done
        lines = self.ingest.handle(msg.topic, bytes(msg.payload), msg.retain)
        # The connection it came on: an ack never crosses a reconnect.
        self.writer.add(Item(lines, msg.mid, msg.qos, self.client.connection))

    def _ack(self, items: list[Item]) -> None:
        # A message from an earlier connection is redelivered by the broker anyway.
        conn = self.client.connection
        self.client.ack_many((item.mid for item in items if item.gen == conn), conn)

    def _dead_letter(self, topic: str, payload: bytes, rej: RejectedMessage) -> None:
        self.dead_letters.add(topic, payload, rej)
        self.metrics.dead_letters += 1  # only the MQTT thread rejects

    def _publish_state(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1, retain=True)
        self.metrics.inc("states_published")


def run(settings: Settings) -> None:
    """Run the collector until SIGTERM or SIGINT, then shut down cleanly."""
    stop = threading.Event()

    def _signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _signal)
    signal.signal(signal.SIGINT, _signal)
    collector = Collector(settings).start()
    try:
        stop.wait()
    finally:
        collector.stop()
