"""Home Assistant 2024.3.3's MQTT binary_sensor and sensor, as far as hubsense uses them.

A model for the unit tests: it renders the discovery config's templates as
Home Assistant does and turns each message into a state by the rules of
`homeassistant/components/mqtt/` in 2024.3.3 (cited below). A real Home
Assistant runs the same scenarios in bench/homeassistant_check.py; when the
two disagree, this model is wrong.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

PAYLOAD_NONE = "None"  # mqtt/const.py
NON_NUMERIC = {"date", "enum", "timestamp"}  # sensor/const.py NON_NUMERIC_DEVICE_CLASSES


class Clock:
    """Home Assistant's `now()`, moved by the test."""

    def __init__(self, t: float) -> None:
        self.t = t

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.t, tz=dt.UTC)


class Link:
    """Home Assistant's own connection to the broker (client.py MQTT.connected)."""

    connected = True


def environment(clock: Clock) -> jinja2.Environment:
    """The parts of helpers/template.py's TemplateEnvironment our templates use."""
    env = ImmutableSandboxedEnvironment(autoescape=False)
    env.globals["now"] = clock.now
    env.globals["as_timestamp"] = lambda d: d.timestamp()
    return env


def render(env: jinja2.Environment, template: str, payload: bytes) -> str:
    """Template.async_render_with_possible_json_value: `value`, `value_json`, stripped."""
    value = payload.decode()
    variables: dict[str, Any] = {"value": value}
    with contextlib.suppress(ValueError):
        variables["value_json"] = json.loads(value)
    return env.from_string(template).render(**variables).strip()


class Entity:
    """One discovered entity: feed it every message on its topics, read `state()`."""

    def __init__(self, component: str, cfg: dict[str, Any], clock: Clock,
                 link: Link | None = None) -> None:
        self.link = link or Link()
        self.component = component
        self.cfg = cfg
        self.clock = clock
        self.env = environment(clock)
        # mixins.py MqttAvailability: one entry per topic, each unavailable until heard.
        self.avail = {a["topic"]: a for a in cfg.get("availability", [])}
        self.available = dict.fromkeys(self.avail, False)
        self.latest = False
        self.expire_after: int | None = cfg.get("expire_after")
        self.expires_at: float | None = None  # sensor.py/binary_sensor.py: expired at first
        self.value: str | None = None  # native value / is_on, as Home Assistant holds it
        self.shown = "unknown"  # the last state written to the state machine

    def receive(self, topic: str, payload: bytes) -> None:
        """Handle one message as client.py does: every matching subscription, then write."""
        if topic not in self.avail and topic != self.cfg["state_topic"]:
            return
        if topic in self.avail:
            self._availability(topic, payload)
        if topic == self.cfg["state_topic"]:
            self._state(payload)
        self._write()

    def _availability(self, topic: str, payload: bytes) -> None:
        a = self.avail[topic]
        got = render(self.env, a["value_template"], payload) if "value_template" in a \
            else payload.decode()
        if got == a.get("payload_available", "online"):
            self.available[topic] = self.latest = True
        elif got == a.get("payload_not_available", "offline"):
            self.available[topic] = self.latest = False

    def _state(self, payload: bytes) -> None:
        if self.expire_after:  # any message resets the expiry, before the template
            self.expires_at = self.clock.t + self.expire_after
        try:
            got = render(self.env, self.cfg["value_template"], payload)
        except (jinja2.TemplateError, TypeError, ValueError):
            return  # mixins.py write_state_on_attr_change: TEMPLATE_ERRORS are dropped
        if self.component == "binary_sensor":  # binary_sensor.py state_message_received
            if not got:
                return
            if got in (self.cfg["payload_on"], self.cfg["payload_off"], PAYLOAD_NONE):
                self.value = None if got == PAYLOAD_NONE else got
            return  # anything else: "No matching payload", ignored
        # sensor.py _update_state
        if self._numeric():
            if got == "":
                return
            self.value = None if got == PAYLOAD_NONE else got
            return
        # device class None or enum: any text is the state, "None" included; 2024.3's
        # MQTT sensor has no `options` (discovery drops the key), so nothing checks it.
        self.value = got

    def _numeric(self) -> bool:
        """sensor/__init__.py _numeric_state_expected."""
        dc = self.cfg.get("device_class")
        if dc in NON_NUMERIC:
            return False
        return bool(self.cfg.get("state_class") or self.cfg.get("unit_of_measurement")
                    or dc)

    def is_available(self) -> bool:
        """mixins.py MqttAvailability.available: Home Assistant's own broker link first."""
        if not self.link.connected:
            return False
        mode = self.cfg.get("availability_mode", "latest")
        if not self.avail:
            up = True
        elif mode == "all":
            up = all(self.available.values())
        elif mode == "any":
            up = any(self.available.values())
        else:
            up = self.latest
        expired = self.expire_after and (self.expires_at is None
                                         or self.clock.t >= self.expires_at)
        return up and not expired

    def _write(self) -> None:
        """entity.py async_write_ha_state; a ValueError leaves the old state shown."""
        if not self.is_available():
            self.shown = "unavailable"
        elif self.value is None:
            self.shown = "unknown"
        elif self.component == "binary_sensor":
            self.shown = "on" if self.value == self.cfg["payload_on"] else "off"
        elif self._numeric():
            try:
                float(self.value)  # sensor/__init__.py state: must be a number
            except ValueError:
                return  # logged by models.py process_write_state_requests, not written
            self.shown = self.value
        else:
            self.shown = self.value

    def state(self) -> str:
        """What /api/states shows now (the expiry timer writes when it fires; losing the
        broker writes every MQTT entity's state: the MQTT_CONNECTED signal)."""
        if not self.link.connected:
            return "unavailable"
        if self.expire_after and self.expires_at is not None and \
                self.clock.t >= self.expires_at:
            return "unavailable"
        return self.shown


class HomeAssistant:
    """Every entity of a set of discovery configs, fed from one message stream."""

    def __init__(self, configs: dict[str, dict[str, Any]], clock: Clock) -> None:
        self.link = Link()
        self.entities = {cfg["unique_id"]: Entity(topic.split("/")[1], cfg, clock, self.link)
                         for topic, cfg in configs.items()}

    def receive(self, topic: str, payload: bytes) -> None:
        for e in self.entities.values():
            e.receive(topic, payload)

    def state(self, unique_id: str) -> str:
        return self.entities[unique_id].state()
