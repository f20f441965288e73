"""What the fleet login does on the broker: offer a release to nodes, withdraw it, clear a
removed node's retained topics, and read how each node is doing (the collector's view).

An offer is a retained `{"release", "version"}` on the node's own `…/ota`,
which only that node may read (deploy/broker.py). It carries nothing a node
trusts: the node downloads the manifest of that release and takes it only
if the tag made with its own key is right (docs/security.md).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTProtocolVersion

from hubsense.contract import OfferPayload, node_topic, offer_topic, state_topic
from hubsense.mqttlink import make_client, release
from hubsense.settings import Settings, SettingsError
from hubsense.state import NodeHealth


class BrokerError(RuntimeError):
    """The broker could not be reached or refused the fleet login."""


class FleetLink:
    """One connection as the fleet login (`fleet.mqtt`), for a command's duration."""

    def __init__(self, settings: Settings, site: str, timeout: float = 10.0) -> None:
        creds = settings.fleet.mqtt
        if creds is None:
            raise SettingsError("fleet.mqtt.username and fleet.mqtt.password must be set "
                                "(the fleet login; HUBSENSE_FLEET__MQTT__PASSWORD)")
        self.site = site
        self.timeout = timeout
        self._connected = threading.Event()
        self._rc: object = None
        self.client = make_client(settings.mqtt, creds, MQTTProtocolVersion.MQTTv311)
        self.client.on_connect = self._on_connect
        self._states: dict[str, NodeHealth] = {}
        self._lock = threading.Lock()
        m = settings.mqtt
        try:
            self.client.connect(m.host, m.port, keepalive=30)
        except OSError as exc:
            release(self.client)
            raise BrokerError(f"cannot reach the broker at {m.host}:{m.port}: {exc}") from None
        self.client.loop_start()
        if not self._connected.wait(timeout) or self._rc:
            self.close()
            raise BrokerError(f"the broker at {m.host}:{m.port} did not take the fleet login "
                              f"'{creds.username}' ({self._rc})")

    def _on_connect(self, _c: mqtt.Client, _u: object, _f: object, rc: object,
                    _p: object = None) -> None:
        self._rc = rc if getattr(rc, "is_failure", False) else None
        self._connected.set()

    def _publish(self, topic: str, payload: bytes) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=True)
        info.wait_for_publish(self.timeout)
        if not info.is_published():
            raise BrokerError(f"the broker did not acknowledge {topic}")

    def offer(self, nodes: Iterable[str], release_no: int, version: str) -> None:
        """Offer a release to these nodes (retained: a node that is off takes it later)."""
        payload = OfferPayload(release=release_no, version=version).model_dump_json().encode()
        for node in nodes:
            self._publish(offer_topic(self.site, node), payload)

    def clear(self, node: str) -> None:
        """Clear a node's retained topics: its offer, and its status. Mosquitto drops a
        login it no longer has at a reload without publishing the will, so the status
        would say "online" for good; a node still connected does not say it again."""
        for topic in (offer_topic(self.site, node), node_topic(self.site, node, "status")):
            self._publish(topic, b"")

    def nodes(self, wait_s: float = 1.0) -> dict[str, NodeHealth]:
        """Each node's health as the collector last published it (retained)."""
        def on_message(_c: mqtt.Client, _u: object, m: mqtt.MQTTMessage) -> None:
            if m.payload:
                h = NodeHealth.model_validate(json.loads(m.payload))
                with self._lock:
                    self._states[h.id] = h

        self.client.on_message = on_message
        self.client.subscribe(state_topic(self.site, "node", "+"), qos=1)
        time.sleep(wait_s)  # retained messages arrive at once; a second is plenty on a LAN
        self.client.unsubscribe(state_topic(self.site, "node", "+"))
        with self._lock:
            return dict(self._states)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        release(self.client)

    def __enter__(self) -> FleetLink:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
