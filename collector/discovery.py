"""Home Assistant MQTT discovery: every zone appears in Home Assistant unconfigured.

Each zone is one device whose entities read the collector's retained zone
state (`hubsense/v1/<site>/state/zone/<id>`) through a value template, so
there is no second state topic to keep in step. The entities follow what the
layout observes: occupancy and people count where a presence or count input
observes the zone, noise (category and LAeq) where a microphone does.

Honest data holds in Home Assistant too (checked against a real Home
Assistant 2024.3.3 by bench/homeassistant_check.py; docs/home-assistant.md):

- An entity shows a value only when the zone's live sensors say so: occupancy
  ON as soon as one live sensor sees someone; OFF and the people count only
  when none that counts people or desks is silent (the domain's `at_least`
  says the count is a lower bound); the noise while its microphone is live.
- Otherwise it is *unknown*: the template renders "None", which Home
  Assistant's MQTT binary sensor and its numeric sensors (people, LAeq) take as
  unknown (PAYLOAD_NONE in binary_sensor.py and sensor.py `_update_state`).
- The noise sensor (device class enum) is *unavailable* instead: in Home
  Assistant 2024.3 an MQTT enum sensor has no unknown (it shows any rendered
  text, "None" included, and drops `options`), so an availability entry on the
  zone state says offline while the zone has no live level.
- Every entity is *unavailable* while the collector is down (its status topic)
  and while it hangs, by the API's rule (`hubsense.state.collector_live`): its
  heartbeat older than `stale_factor` beats by Home Assistant's clock (a
  retained one, read after Home Assistant restarts) makes an availability
  entry say offline, and since each beat also sends every zone's state again
  (collector/live.py), no state for that long expires them (`expire_after`).

Config topics are `<prefix>/<component>/hubsense_<site>/<zone>_<entity>/config`
(Home Assistant's `<discovery_prefix>/<component>/[<node_id>/]<object_id>/config`).
The node level scopes them to this site, so the collector can read back the
retained ones and clear (empty retained payload) those of zones or entities
the layout no longer has.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.subscribeoptions import SubscribeOptions

from hubsense import __version__
from hubsense.contract import collector_heartbeat_topic, collector_status_topic, state_topic
from hubsense.layout import Layout, Measure, Zone
from hubsense.state import Noise

log = logging.getLogger(__name__)

# Someone seen by a live sensor is there whatever a silent one would say; "nobody"
# and a count are known only when the count is not a lower bound (hubsense.state).
_COMPLETE = "not value_json.at_least"
OCCUPANCY_TEMPLATE = (
    "{% if value_json.occupied is number and value_json.occupied > 0 %}ON"
    "{% elif value_json.occupied == 0 and " + _COMPLETE + " %}OFF"
    "{% else %}None{% endif %}"
)
PEOPLE_TEMPLATE = ("{{ value_json.occupied if value_json.occupied is number and "
                   + _COMPLETE + " else 'None' }}")
NOISE_OPTIONS = [n.value for n in Noise]
_NOISE_KNOWN = f"value_json.noise in {NOISE_OPTIONS!r}"
NOISE_TEMPLATE = "{{ value_json.noise if " + _NOISE_KNOWN + " else 'None' }}"
LAEQ_TEMPLATE = "{{ value_json.laeq if value_json.laeq is number else 'None' }}"


def beating(stale_factor: float) -> str:
    """The collector's heartbeat is younger than `stale_factor` beats by Home Assistant's
    clock (hosts on NTP): `hubsense.state.collector_live`, in Jinja."""
    return ("{{ 'online' if value_json.ts is number and value_json.every_s is number and "
            "as_timestamp(now()) * 1000 - value_json.ts <= "
            f"{stale_factor} * value_json.every_s * 1000 else 'offline' }}}}")


@dataclass(frozen=True, slots=True)
class Entity:
    component: str  # binary_sensor, sensor
    key: str  # occupancy, people, noise, laeq
    name: str
    template: str
    extra: tuple[tuple[str, Any], ...] = ()
    # What the zone state must say for the entity to be available at all.
    needs: str | None = None


OCCUPANCY = Entity("binary_sensor", "occupancy", "Occupancy", OCCUPANCY_TEMPLATE,
                   (("device_class", "occupancy"), ("payload_on", "ON"),
                    ("payload_off", "OFF")))
PEOPLE = Entity("sensor", "people", "People", PEOPLE_TEMPLATE,
                (("state_class", "measurement"), ("icon", "mdi:account-group")))
NOISE = Entity("sensor", "noise", "Noise", NOISE_TEMPLATE,
               (("device_class", "enum"), ("options", NOISE_OPTIONS)), needs=_NOISE_KNOWN)
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


def _entry(topic: str, template: str | None = None) -> dict[str, str]:
    """An availability entry: `online` / `offline` on `topic`, or rendered from it."""
    out = {"topic": topic, "payload_available": "online", "payload_not_available": "offline"}
    if template:
        out["value_template"] = template
    return out


class Discovery:
    """Publish the discovery configs and clear the ones the layout no longer has."""

    def __init__(self, layout: Layout, prefix: str, stale_factor: float, heartbeat_s: float,
                 enabled: bool = True) -> None:
        self.layout = layout
        self.site = layout.site.id
        self.prefix = prefix
        self.stale_factor = stale_factor
        self.heartbeat_s = heartbeat_s
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
        zone = state_topic(self.site, "zone", z.id)
        available = [_entry(collector_status_topic(self.site)),
                     _entry(collector_heartbeat_topic(self.site), beating(self.stale_factor))]
        if e.needs:
            available.append(_entry(zone, f"{{{{ 'online' if {e.needs} else 'offline' }}}}"))
        return {
            "name": e.name,
            "unique_id": uid,
            "state_topic": zone,
            "value_template": e.template,
            "qos": 1,
            # Every entry must say available (Home Assistant's default: the latest to speak).
            "availability_mode": "all",
            "availability": available,
            "expire_after": math.ceil(self.stale_factor * self.heartbeat_s),
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
