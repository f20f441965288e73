"""Home Assistant MQTT discovery: every zone appears in Home Assistant unconfigured.

Each zone is one device whose entities read the collector's retained zone
state (`hubsense/v1/<site>/state/zone/<id>`) through a value template, so
there is no second state topic to keep in step. The entities follow what the
layout observes: occupancy and people count where a presence or count input
observes the zone, noise (category and LAeq) where a microphone does.

Honest data holds in Home Assistant too: the templates render `None` (which
Home Assistant's MQTT binary sensor and sensor take as *unknown*) for an
unknown or stale zone, never "free" or 0 on the strength of a dead sensor,
and availability follows the collector's own status topic, so every entity is
*unavailable* while the collector is down.

Config topics are `<prefix>/<component>/hubsense_<site>/<zone>_<entity>/config`
(Home Assistant's `<discovery_prefix>/<component>/[<node_id>/]<object_id>/config`).
The node level scopes them to this site, so the collector can read back the
retained ones and clear (empty retained payload) those of zones or entities
the layout no longer has.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.subscribeoptions import SubscribeOptions

from hubsense import __version__
from hubsense.contract import collector_status_topic, state_topic
from hubsense.layout import Layout, Measure, Zone

log = logging.getLogger(__name__)

# Unknown (no reading) or stale (a sensor silent): HA shows "unknown", not "off".
OCCUPANCY_TEMPLATE = (
    "{% if value_json.occupied is none or value_json.status == 'unknown' %}None"
    "{% elif value_json.occupied > 0 %}ON"
    "{% elif value_json.stale %}None"
    "{% else %}OFF{% endif %}"
)
# A stale zone's count covers only its live sensors: a lower bound, not the count.
PEOPLE_TEMPLATE = (
    "{% if value_json.occupied is none or value_json.stale %}None"
    "{% else %}{{ value_json.occupied }}{% endif %}"
)
NOISE_TEMPLATE = "{{ value_json.noise if value_json.noise is not none else 'None' }}"
LAEQ_TEMPLATE = "{{ value_json.laeq if value_json.laeq is not none else 'None' }}"


@dataclass(frozen=True, slots=True)
class Entity:
    component: str  # binary_sensor, sensor
    key: str  # occupancy, people, noise, laeq
    name: str
    template: str
    extra: tuple[tuple[str, Any], ...] = ()


OCCUPANCY = Entity("binary_sensor", "occupancy", "Occupancy", OCCUPANCY_TEMPLATE,
                   (("device_class", "occupancy"), ("payload_on", "ON"),
                    ("payload_off", "OFF")))
PEOPLE = Entity("sensor", "people", "People", PEOPLE_TEMPLATE,
                (("state_class", "measurement"), ("icon", "mdi:account-group")))
NOISE = Entity("sensor", "noise", "Noise", NOISE_TEMPLATE,
               (("device_class", "enum"), ("options", ["calm", "lively", "loud"])))
LAEQ = Entity("sensor", "laeq", "Noise level", LAEQ_TEMPLATE,
              (("device_class", "sound_pressure"), ("unit_of_measurement", "dBA"),
               ("state_class", "measurement")))


def zone_entities(layout: Layout, zone: Zone) -> list[Entity]:
    """The entities a zone gets: what its sensors in the layout can tell."""
    measures = {i.measures for n in layout.nodes for i in n.inputs if layout.zone_of(i) == zone.id}
    out = []
    if measures & {Measure.PRESENCE, Measure.COUNT}:
        out += [OCCUPANCY, PEOPLE]
    if Measure.SOUND in measures:
        out += [NOISE, LAEQ]
    return out


class Discovery:
    """Publish the discovery configs and clear the ones the layout no longer has."""

    def __init__(self, layout: Layout, prefix: str, enabled: bool = True) -> None:
        self.layout = layout
        self.site = layout.site.id
        self.prefix = prefix
        self.enabled = enabled
        self.node_id = f"hubsense_{self.site}"
        self.configs: dict[str, dict[str, Any]] = (
            {self.topic(e, z): self.config(e, z)
             for z in layout.zones for e in zone_entities(layout, z)} if enabled else {})

    def use_layout(self, layout: Layout) -> None:
        """Take a new layout version; the next announce() clears what it no longer has."""
        self.layout = layout
        self.configs = ({self.topic(e, z): self.config(e, z)
                         for z in layout.zones for e in zone_entities(layout, z)}
                        if self.enabled else {})

    @property
    def ours(self) -> str:
        """The filter matching every config this site's collector ever published."""
        return f"{self.prefix}/+/{self.node_id}/+/config"

    def topic(self, e: Entity, z: Zone) -> str:
        return f"{self.prefix}/{e.component}/{self.node_id}/{z.id}_{e.key}/config"

    def config(self, e: Entity, z: Zone) -> dict[str, Any]:
        uid = f"{self.node_id}_{z.id}_{e.key}"
        return {
            "name": e.name,
            "unique_id": uid,
            "state_topic": state_topic(self.site, "zone", z.id),
            "value_template": e.template,
            "qos": 1,
            "availability": [{"topic": collector_status_topic(self.site),
                              "payload_available": "online",
                              "payload_not_available": "offline"}],
            "device": {"identifiers": [f"{self.node_id}_{z.id}"], "name": z.name.en,
                       "manufacturer": "hubsense", "model": z.kind.value.replace("_", " "),
                       "suggested_area": z.name.en},
            "origin": {"name": "hubsense", "sw_version": __version__},
            **dict(e.extra),
        }

    def attach(self, client: mqtt.Client) -> None:
        """Route read-back configs to `_seen` (before connecting: paho keeps callbacks)."""
        client.message_callback_add(self.ours, self._seen)

    def announce(self, client: mqtt.Client) -> None:
        """On every connect: read back what is retained, and publish every config."""
        # QoS 0 and no_local: nothing of this queues in the collector's persistent
        # session, and our own configs never come back to us.
        client.subscribe(self.ours, options=SubscribeOptions(qos=0, noLocal=True))
        for topic, cfg in self.configs.items():
            client.publish(topic, json.dumps(cfg, sort_keys=True), qos=1, retain=True)

    def _seen(self, client: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        if msg.retain and msg.payload and msg.topic not in self.configs:
            log.info("clearing Home Assistant discovery config %s: not in the layout",
                     msg.topic)
            client.publish(msg.topic, b"", qos=1, retain=True)
