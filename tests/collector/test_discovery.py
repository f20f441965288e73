"""Home Assistant MQTT discovery against a real Mosquitto: what a Home Assistant sees.

The value templates are rendered with Jinja2 on the retained zone state the
collector publishes, the way Home Assistant's MQTT integration renders them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from typing import Any

import jinja2
import pytest

from collector.discovery import Discovery
from collector.service import Collector
from devstack.mosquitto import Mosquitto
from hubsense.contract import collector_status_topic, state_topic
from hubsense.layout import Layout
from hubsense.settings import Settings
from tests.collector.conftest import SITE, NodeSim, wait_for

pytestmark = pytest.mark.services

NODE = f"hubsense_{SITE}"
SEATED = ["buzz-north", "buzz-south", "quiet", "meet-a", "meet-b", "lounge"]
# What the example layout's sensors can tell, zone by zone (the entrance only counts visits).
EXPECTED = {
    *((f"homeassistant/binary_sensor/{NODE}/{z}_occupancy/config") for z in SEATED),
    *((f"homeassistant/sensor/{NODE}/{z}_people/config") for z in SEATED),
    *((f"homeassistant/sensor/{NODE}/{z}_{k}/config")
      for z in ("buzz-north", "buzz-south") for k in ("noise", "laeq")),
}
GONE = f"homeassistant/sensor/{NODE}/old-zone_people/config"
FOREIGN = "homeassistant/sensor/someone-else/thing/config"


def watch(broker: Mosquitto) -> NodeSim:
    """A plain subscriber, as Home Assistant is: the last message on every topic."""
    w = NodeSim(broker)
    w.client.subscribe("homeassistant/#", qos=1)
    return w


def configs(w: NodeSim) -> dict[str, dict[str, Any]]:
    with w._lock:
        return {t: json.loads(p) for t, p in w.retained.items()
                if t.startswith("homeassistant/") and f"/{NODE}/" in t and p}


@pytest.fixture
def ha(broker: Mosquitto) -> Iterator[NodeSim]:
    w = watch(broker)
    yield w
    w.close()


def render(cfg: dict[str, Any], state: bytes) -> str:
    """Render a value template as Home Assistant does (value_json: the parsed payload)."""
    tpl = jinja2.Environment(autoescape=False).from_string(cfg["value_template"])
    return tpl.render(value=state.decode(), value_json=json.loads(state)).strip()


def test_every_zone_is_discovered_and_reads_the_live_state(
        collector_settings: Settings, layout: Layout, tester: NodeSim, ha: NodeSim,
        broker: Mosquitto) -> None:
    # Left behind by an earlier layout (and someone else's config, not ours to touch).
    tester.publish(GONE, json.dumps({"name": "People", "state_topic": "x"}), retain=True)
    tester.publish(FOREIGN, json.dumps({"name": "Thing", "state_topic": "y"}), retain=True)
    wait_for(lambda: ha.get(GONE), what="stale config retained")

    with Collector(collector_settings, layout).start():
        found = wait_for(lambda: (c := configs(ha)) and set(c) == EXPECTED and c,
                           what="every expected discovery config")
        assert len({c["unique_id"] for c in found.values()}) == len(EXPECTED)
        status = collector_status_topic(SITE)
        wait_for(lambda: ha.get(status) == b"online", what="collector online")
        for topic, cfg in found.items():
            zone = topic.split("/")[3].rsplit("_", 1)[0]
            assert cfg["state_topic"] == state_topic(SITE, "zone", zone)
            assert cfg["availability"] == [{"topic": status, "payload_available": "online",
                                             "payload_not_available": "offline"}]
            assert cfg["device"]["identifiers"] == [f"{NODE}_{zone}"]
            assert cfg["device"]["name"] == layout.zone(zone).name.en  # type: ignore[union-attr]
            if "binary_sensor" in topic:
                assert cfg["device_class"] == "occupancy"
                assert (cfg["payload_on"], cfg["payload_off"]) == ("ON", "OFF")
            # The state topic resolves: the collector keeps it retained.
            wait_for(partial(ha.get, state_topic(SITE, "zone", zone)), what=f"{zone} state")

        def value(zone: str, key: str) -> str:
            comp = "binary_sensor" if key == "occupancy" else "sensor"
            cfg = found[f"homeassistant/{comp}/{NODE}/{zone}_{key}/config"]
            raw = ha.get(state_topic(SITE, "zone", zone))
            assert raw is not None
            return render(cfg, raw)

        # Nothing heard yet: every zone unknown, never "free" (OFF) or 0.
        for zone in SEATED:
            assert value(zone, "occupancy") == "None" and value(zone, "people") == "None"
        assert value("buzz-north", "noise") == "None" and value("buzz-north", "laeq") == "None"

        def zone_is(zone: str, **want: Any) -> bool:
            raw = ha.get(state_topic(SITE, "zone", zone))
            z = json.loads(raw) if raw else {}
            return all(z.get(k) == v for k, v in want.items())

        tester.status("meet-a", True)
        tester.observe("meet-a", 1, count=3)
        wait_for(lambda: zone_is("meet-a", occupied=3, stale=False), what="meet-a 3")
        assert (value("meet-a", "occupancy"), value("meet-a", "people")) == ("ON", "3")
        tester.observe("meet-a", 1, count=0)
        wait_for(lambda: zone_is("meet-a", occupied=0, stale=False), what="meet-a 0")
        assert (value("meet-a", "occupancy"), value("meet-a", "people")) == ("OFF", "0")
        # Its node goes offline: unknown again, not the last "free".
        tester.status("meet-a", False)
        wait_for(lambda: zone_is("meet-a", status="unknown"), what="meet-a unknown")
        assert (value("meet-a", "occupancy"), value("meet-a", "people")) == ("None", "None")

        # Half the quiet zone's desks report free, the other node is silent: stale, not free.
        tester.status("desk-q1", True)
        for n in range(1, 5):
            tester.observe("desk-q1", n, present=False)
        wait_for(lambda: zone_is("quiet", desks_unknown=4, stale=True), what="quiet stale")
        assert (value("quiet", "occupancy"), value("quiet", "people")) == ("None", "None")
        tester.observe("desk-q1", 1, present=True)
        wait_for(lambda: zone_is("quiet", occupied=1), what="one desk taken")
        assert value("quiet", "occupancy") == "ON"  # someone is there, whatever the rest
        assert value("quiet", "people") == "None"  # but 1 is only a lower bound

        tester.status("buzz-n", True)
        tester.observe("buzz-n", 2, laeq=61.5, lamax=70.0)
        wait_for(lambda: zone_is("buzz-north", noise="lively"), what="buzz-north lively")
        assert (value("buzz-north", "noise"), value("buzz-north", "laeq")) == ("lively", "61.5")

        # The config of a zone the layout no longer has is cleared; others' are not ours.
        wait_for(lambda: ha.get(GONE) == b"", what="stale config cleared")
        assert ha.get(FOREIGN)
    # The collector stopped: Home Assistant shows every entity unavailable.
    wait_for(lambda: ha.get(collector_status_topic(SITE)) == b"offline", what="offline")

    late = watch(broker)  # a Home Assistant started later
    try:
        wait_for(lambda: set(configs(late)) == EXPECTED, what="configs retained")
        assert late.get(GONE) is None and late.get(FOREIGN)
    finally:
        late.close()


def test_config_topics_follow_the_prefix_and_the_switch(layout: Layout) -> None:
    assert Discovery(layout, "homeassistant", enabled=False).configs == {}
    on = Discovery(layout, "ha")
    assert set(on.configs) == {t.replace("homeassistant/", "ha/", 1) for t in EXPECTED}
    assert on.ours == f"ha/+/{NODE}/+/config"
