"""Several collectors sharing node traffic through MQTT 5 shared subscriptions.

With `collector.share_group = "g"` a collector subscribes to the node topics
as `$share/g/…`: the broker hands each message to one member of the group
(each with its own client id and persistent session), and that member writes
its points. Points are per message and idempotent, so the union of what the
members write is every message exactly once.

Live state is not per message. A desk's or zone's state, a node's health, an
entrance's visits (the difference between consecutive running totals) and a
node's online/offline changes all need *every* message of a node, in order; a
member sees only its share, so state computed by each member from its share
would be wrong (visits double-counted across gaps, a zone "free" from an old
reading another member has already superseded). So exactly one collector of
the group owns all of that (`collector.live_state = true`, the default; set it
false on every other member). The owner reads the whole node stream through a
second, non-shared connection — the state feed — whose messages only feed
the tracker and derive visits and status points; the raw points of those
messages are left to whichever member the shared subscription chose. Only the
owner publishes the collector status topic (its will says "offline"), the
retained state and the Home Assistant discovery configs.

The state feed has its own login (`collector.state_mqtt`: the broker allows
one connection per login) and its own persistent session, so a restarted owner
catches up on what it missed, as a single collector
does. It acknowledges on receipt: a visits point derived in the flush interval
before an owner crash can be lost; live state itself is rebuilt from the
nodes' next messages, which re-publish every input with each heartbeat.

Mosquitto 2.0.11, as tests/collector/test_sharing.py and test_acl.py check:
- it grants any subscription and applies the ACL to each message it
  delivers, `$share/<group>/<filter>` as `<filter>`: the collector's
  `topic read hubsense/v1/+/node/#` covers its shared subscriptions, and a
  node's `$share/g/#` receives nothing;
- unlike what MQTT 5 says, it sends retained messages to a new shared
  subscription (every member gets the retained node statuses; they are not
  raw points, so nothing is doubled);
- it keeps handing a member whose persistent session outlives a disconnect its
  share of the messages, queued until it returns: a member down is not lost
  data, but a member retired for good holds its share until its session
  expires (24 h) and then drops it. Retire a member only with the broker's
  queue for it drained, or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from collector.ingest import Ingest
from collector.mqttclient import connect_persistent
from hubsense.contract import node_subscriptions
from hubsense.mqttlink import make_client, shut
from hubsense.settings import Credentials, MqttSettings

log = logging.getLogger(__name__)

def subscriptions(site: str, group: str | None) -> list[tuple[str, SubscribeOptions]]:
    """The node topic filters of the points stream (shared when in a group), with
    their options: a retained observation or heartbeat is refused, so the
    collector must see the retain flag as published (retainAsPublished) and
    must not be sent old ones on subscribing (retainHandling 2)."""
    out = []
    for topic, retained_ok in node_subscriptions(site):
        opts = (SubscribeOptions(qos=1) if retained_ok else
                SubscribeOptions(qos=1, retainAsPublished=True, retainHandling=2))
        out.append((f"$share/{group}/{topic}" if group else topic, opts))
    return out


class StateFeed:
    """The live-state owner's own view of every node message, in a share group."""

    def __init__(self, mqtt_settings: MqttSettings, creds: Credentials, site: str,
                 ingest: Ingest, put: Callable[[list[str]], None]) -> None:
        self._mqtt = mqtt_settings
        self.site = site
        self.ingest = ingest
        self._put = put
        c = make_client(mqtt_settings, creds)
        c.reconnect_delay_set(1, 5)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        self.client = c

    def start(self) -> StateFeed:
        connect_persistent(self.client, self._mqtt)
        return self

    def stop(self) -> None:
        shut(self.client)

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: mqtt.ConnectFlags, rc: ReasonCode,
                    _p: Properties | None) -> None:
        if rc.is_failure:
            log.error("state feed: MQTT connection refused: %s", rc)
            return
        client.subscribe(subscriptions(self.site, None))

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        lines = self.ingest.handle(msg.topic, bytes(msg.payload), msg.retain)
        if lines:
            self._put(lines)
