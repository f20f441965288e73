"""The API's one MQTT client: reads the collector's retained state into `LiveState`.

Retained messages are re-sent on every (re)subscribe, so an API that starts or
reconnects late knows the state within one round trip, without a database.
"""

from __future__ import annotations

import logging
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from api.live import LiveState
from hubsense.contract import ROOT, collector_heartbeat_topic, collector_status_topic
from hubsense.mqttlink import make_client
from hubsense.settings import Settings, require_credentials

log = logging.getLogger(__name__)


def subscriptions(site: str) -> list[tuple[str, int]]:
    return [(f"{ROOT}/{site}/state/#", 1), (collector_status_topic(site), 1),
            (collector_heartbeat_topic(site), 1)]


class StateSubscriber:
    """Keep `LiveState` fed; paho's network thread reconnects on its own."""

    def __init__(self, settings: Settings, live: LiveState) -> None:
        creds = require_credentials(settings.api.mqtt, "api")
        self.settings = settings
        self.live = live
        self.topics = subscriptions(live.layout.site.id)
        self._stopping = False
        # The broker makes the login the client id: a second API instance needs its own.
        self.client = make_client(settings.mqtt, creds, protocol=MQTTProtocolVersion.MQTTv311)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def start(self) -> None:
        """Connect in the background: the API serves *unknown* until the broker answers."""
        m = self.settings.mqtt
        self.client.connect_async(m.host, m.port, keepalive=m.keepalive_s)
        self.client.loop_start()

    def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: ReasonCode,
                    _p: Any) -> None:
        if rc.is_failure:
            log.error("broker refused the api login: %s", rc)
            return
        client.subscribe(self.topics)
        self.live.set_connected(True)
        log.info("connected to the broker; reading retained state")

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: ReasonCode,
                       _p: Any) -> None:
        self.live.set_connected(False)
        if self._stopping:
            return
        log.warning("lost the broker (%s); zones read unknown until it is back", rc)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.live.apply(msg.topic, bytes(msg.payload))
