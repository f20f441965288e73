"""Home Assistant MQTT discovery: what a Home Assistant 2024.3.3 shows, scenario by scenario.

The configs go through a model of Home Assistant's MQTT binary_sensor and
sensor (tests/collector/homeassistant.py) that renders their templates and
turns the result into a state as 2024.3.3 does. The zone states come from the
real domain (`SiteTracker`) or, last, from a real collector and Mosquitto. The
same scenarios run against a real Home Assistant in bench/homeassistant_check.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from collector.discovery import Discovery, zone_entities
from collector.service import Collector
from devstack.mosquitto import Mosquitto
from hubsense.contract import collector_heartbeat_topic, collector_status_topic, state_topic
from hubsense.layout import Layout
from hubsense.settings import Settings
from hubsense.state import SiteTracker
from tests.collector.conftest import SITE, NodeSim, wait_for
from tests.collector.homeassistant import Clock, HomeAssistant
from tests.test_state import HB, T0, ob

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
BEAT_S = 30.0  # collector.heartbeat_s
FACTOR = 2.5  # state.stale_factor
MAX_AGE_S = FACTOR * BEAT_S  # a hung collector: no beat and no zone state for this long
STALE_S = FACTOR * HB / 1000 + 1
UNKNOWN = {"occupancy": "unknown", "people": "unknown", "noise": "unavailable",
           "laeq": "unknown"}


class Site:
    """The example site's state, published as the collector does, into Home Assistant."""

    def __init__(self, layout: Layout, configs: dict[str, dict[str, Any]] | None = None) -> None:
        self.layout = layout
        self.now = T0
        self.seq = 0
        self.tracker = SiteTracker(layout)
        self.clock = Clock(T0 / 1000)
        self.configs = configs or Discovery(layout, "homeassistant", FACTOR, BEAT_S).configs
        self.ha = HomeAssistant(self.configs, self.clock)
        self.ha.receive(collector_status_topic(SITE), b"online")
        self.beat()

    def report(self, node: str, n: int, **body: object) -> None:
        self.seq += 1
        self.tracker.set_online(node, True, self.now)
        self.tracker.observe(ob(self.layout, node, n, ts=self.now, seq=self.seq, **body),
                             self.now)

    def report_all(self, but: tuple[str, ...] = ()) -> None:
        """Every node but `but` reports: buzz zones 0 people at 61.5 dB, meet-a 3, desks free."""
        readings: dict[str, list[dict[str, object]]] = {
            "buzz-n": [{"count": 0}, {"laeq": 61.5, "lamax": 70.0}],
            "buzz-s": [{"count": 2}, {"laeq": 42.0, "lamax": 50.0}],
            "desk-q1": [{"present": False}] * 4, "desk-q2": [{"present": False}] * 4,
            "meet-a": [{"count": 3}], "meet-b": [{"count": 0}], "lounge": [{"count": 1}]}
        for node, values in readings.items():
            if node not in but:
                for n, body in enumerate(values, 1):
                    self.report(node, n, **body)

    def wait(self, seconds: float) -> None:
        self.now += int(seconds * 1000)
        self.clock.t = self.now / 1000

    def beat(self) -> bytes:
        """The collector's heartbeat (collector/live.py), retained."""
        payload = json.dumps({"ts": self.now, "every_s": BEAT_S}).encode()
        self.ha.receive(collector_heartbeat_topic(SITE), payload)
        return payload

    def publish(self) -> None:
        """What the collector sends at an evaluation, or again with a beat: every zone."""
        for z in self.tracker.zones(self.now):
            self.ha.receive(state_topic(SITE, "zone", z.id), z.model_dump_json().encode())

    def shows(self, zone: str) -> dict[str, str]:
        z = self.layout.zone(zone)
        assert z is not None
        return {e.key: self.ha.state(f"{NODE}_{zone}_{e.key}")
                for e in zone_entities(self.layout, z)}


def test_nothing_heard_yet_is_unknown_never_free(layout: Layout) -> None:
    site = Site(layout)
    site.publish()
    for zone in SEATED:
        assert site.shows(zone) == {k: v for k, v in UNKNOWN.items() if k in site.shows(zone)}


def test_live_zones_show_their_values(layout: Layout) -> None:
    site = Site(layout)
    site.report_all()
    site.publish()
    assert site.shows("buzz-north") == {"occupancy": "off", "people": "0", "noise": "lively",
                                        "laeq": "61.5"}
    assert site.shows("buzz-south") == {"occupancy": "on", "people": "2", "noise": "calm",
                                        "laeq": "42.0"}
    assert site.shows("quiet") == {"occupancy": "off", "people": "0"}
    assert site.shows("meet-a") == {"occupancy": "on", "people": "3"}


def test_a_silent_node_makes_its_zone_unknown_on_every_entity(layout: Layout) -> None:
    site = Site(layout)
    site.report_all()
    site.publish()
    site.wait(STALE_S)
    site.report_all(but=("buzz-n",))
    site.publish()
    # Off, 0 and "lively" were all true once; none is shown on a dead sensor's word.
    assert site.shows("buzz-north") == UNKNOWN
    assert site.shows("buzz-south")["people"] == "2"


def test_someone_seen_by_a_live_sensor_is_there_the_rest_is_unknown(layout: Layout) -> None:
    site = Site(layout)
    site.report_all()
    site.wait(STALE_S)
    site.report_all(but=("desk-q2",))  # desk-q1's four desks free, desk-q2's unknown
    site.publish()
    assert site.shows("quiet") == {"occupancy": "unknown", "people": "unknown"}
    site.report("desk-q1", 1, present=True)
    site.publish()
    assert site.shows("quiet") == {"occupancy": "on", "people": "unknown"}  # 1 is a lower bound
    for n in range(2, 5):  # every known desk taken: the zone's status is unknown, not full
        site.report("desk-q1", n, present=True)
    site.publish()
    assert site.shows("quiet") == {"occupancy": "on", "people": "unknown"}


def test_a_silent_microphone_hides_only_the_noise(layout: Layout) -> None:
    site = Site(layout)
    site.report("buzz-n", 1, count=0)  # a live node whose sound interval has not ended yet
    site.publish()
    assert site.shows("buzz-north") == {"occupancy": "off", "people": "0",
                                        "noise": "unavailable", "laeq": "unknown"}


def test_desks_not_reported_yet_are_not_free(layout: Layout) -> None:
    site = Site(layout)
    site.report("desk-q1", 1, present=False)  # a live node, three of its desks not heard yet
    for n in range(1, 5):
        site.report("desk-q2", n, present=False)
    site.publish()
    assert site.shows("quiet") == {"occupancy": "unknown", "people": "unknown"}


def test_collector_offline_makes_every_entity_unavailable(layout: Layout) -> None:
    site = Site(layout)
    site.report_all()
    site.publish()
    site.ha.receive(collector_status_topic(SITE), b"offline")
    assert {s for z in SEATED for s in site.shows(z).values()} == {"unavailable"}
    site.ha.receive(collector_status_topic(SITE), b"online")
    assert site.shows("meet-a") == {"occupancy": "on", "people": "3"}


def test_a_collector_that_hangs_expires_its_entities(layout: Layout) -> None:
    site = Site(layout)
    site.report_all()
    site.publish()
    site.wait(MAX_AGE_S - 1)  # "online", connected, but no beat and no zone state since
    assert site.shows("meet-a") == {"occupancy": "on", "people": "3"}
    site.wait(1)
    assert {s for z in SEATED for s in site.shows(z).values()} == {"unavailable"}
    site.report_all()
    site.beat()
    site.publish()  # it recovers: the next beat brings them back
    assert site.shows("meet-a") == {"occupancy": "on", "people": "3"}


def test_a_heartbeat_older_than_the_bound_makes_retained_state_unavailable(
        layout: Layout) -> None:
    site = Site(layout)
    site.report_all()
    beat = site.beat()
    retained = {z.id: z.model_dump_json().encode() for z in site.tracker.zones(site.now)}
    for age, shown in ((MAX_AGE_S - 1, "3"), (MAX_AGE_S + 1, "unavailable")):
        # A Home Assistant (re)started `age` after the hung collector's last beat.
        late = HomeAssistant(site.configs, Clock(site.now / 1000 + age))
        late.receive(collector_status_topic(SITE), b"online")
        late.receive(collector_heartbeat_topic(SITE), beat)
        for zone, payload in retained.items():
            late.receive(state_topic(SITE, "zone", zone), payload)
        assert late.state(f"{NODE}_meet-a_people") == shown
        assert late.state(f"{NODE}_buzz-north_noise") == ("lively" if shown == "3" else shown)


def test_the_case_that_bit_us(layout: Layout) -> None:
    """Home Assistant 2024.3.3 showed the literal "None" for a stale zone's noise sensor.

    An MQTT sensor of device class enum (or none) takes any rendered text as its
    state before 2024.10 and drops `options`; only numeric sensors and binary
    sensors read "None" as unknown. The earlier config, through the model, shows
    it as the real one did (bench/homeassistant_check.py with those templates).
    """
    zone_topic = state_topic(SITE, "zone", "buzz-north")
    earlier = {"homeassistant/sensor/x/buzz-north_noise/config": {
        "unique_id": "earlier_noise", "state_topic": zone_topic, "device_class": "enum",
        "options": ["calm", "lively", "loud"],
        "value_template": "{{ value_json.noise if value_json.noise is not none else 'None' }}",
        "availability": [{"topic": collector_status_topic(SITE)}]}}  # and no expiry
    for configs, shown in ((earlier, "None"), (None, "unavailable")):
        site = Site(layout, configs)
        site.report_all()
        site.publish()
        site.wait(STALE_S)
        site.report_all(but=("buzz-n",))
        site.publish()
        uid = "earlier_noise" if configs else f"{NODE}_buzz-north_noise"
        assert site.ha.state(uid) == shown


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


@pytest.mark.services
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
            assert cfg["availability_mode"] == "all"
            beat = collector_heartbeat_topic(SITE)
            assert [a["topic"] for a in cfg["availability"]] == \
                [status, beat] + ([cfg["state_topic"]] if topic.endswith("noise/config") else [])
            assert cfg["expire_after"] == 75  # stale_factor 2.5 x collector.heartbeat_s 30
            assert cfg["device"]["identifiers"] == [f"{NODE}_{zone}"]
            assert cfg["device"]["name"] == layout.zone(zone).name.en  # type: ignore[union-attr]
            if "binary_sensor" in topic:
                assert cfg["device_class"] == "occupancy"
                assert (cfg["payload_on"], cfg["payload_off"]) == ("ON", "OFF")
            # The state topic resolves: the collector keeps it retained.
            wait_for(partial(ha.get, state_topic(SITE, "zone", zone)), what=f"{zone} state")

        def value(zone: str, key: str) -> str:
            """What a Home Assistant started now shows: the retained messages, modelled."""
            model = HomeAssistant(found, Clock(time.time()))
            for topic in (status, collector_heartbeat_topic(SITE),
                          state_topic(SITE, "zone", zone)):
                raw = ha.get(topic)
                assert raw is not None
                model.receive(topic, raw)
            return model.state(f"{NODE}_{zone}_{key}")

        # Nothing heard yet: every zone unknown, never "free" (off) or 0.
        for zone in SEATED:
            assert (value(zone, "occupancy"), value(zone, "people")) == ("unknown", "unknown")
        assert (value("buzz-north", "noise"), value("buzz-north", "laeq")) == \
            ("unavailable", "unknown")

        def zone_is(zone: str, **want: Any) -> bool:
            raw = ha.get(state_topic(SITE, "zone", zone))
            z = json.loads(raw) if raw else {}
            return all(z.get(k) == v for k, v in want.items())

        tester.status("meet-a", True)
        tester.observe("meet-a", 1, count=3)
        wait_for(lambda: zone_is("meet-a", occupied=3, stale=False), what="meet-a 3")
        assert (value("meet-a", "occupancy"), value("meet-a", "people")) == ("on", "3")
        tester.observe("meet-a", 1, count=0)
        wait_for(lambda: zone_is("meet-a", occupied=0, stale=False), what="meet-a 0")
        assert (value("meet-a", "occupancy"), value("meet-a", "people")) == ("off", "0")
        # Its node goes offline: unknown again, not the last "free".
        tester.status("meet-a", False)
        wait_for(lambda: zone_is("meet-a", status="unknown"), what="meet-a unknown")
        assert (value("meet-a", "occupancy"), value("meet-a", "people")) == \
            ("unknown", "unknown")

        # Half the quiet zone's desks report free, the other node is silent: stale, not free.
        tester.status("desk-q1", True)
        for n in range(1, 5):
            tester.observe("desk-q1", n, present=False)
        wait_for(lambda: zone_is("quiet", desks_unknown=4, stale=True), what="quiet stale")
        assert (value("quiet", "occupancy"), value("quiet", "people")) == ("unknown", "unknown")
        tester.observe("desk-q1", 1, present=True)
        wait_for(lambda: zone_is("quiet", occupied=1), what="one desk taken")
        assert value("quiet", "occupancy") == "on"  # someone is there, whatever the rest
        assert value("quiet", "people") == "unknown"  # but 1 is only a lower bound

        tester.status("buzz-n", True)
        tester.observe("buzz-n", 2, laeq=61.5, lamax=70.0)
        wait_for(lambda: zone_is("buzz-north", noise="lively"), what="buzz-north lively")
        assert (value("buzz-north", "noise"), value("buzz-north", "laeq")) == ("lively", "61.5")

        # The config of a zone the layout no longer has is cleared; others' are not ours.
        wait_for(lambda: ha.get(GONE) == b"", what="stale config cleared")
        assert ha.get(FOREIGN)
    # The collector stopped: Home Assistant shows every entity unavailable.
    wait_for(lambda: ha.get(collector_status_topic(SITE)) == b"offline", what="offline")
    assert {value(z, "occupancy") for z in SEATED} == {"unavailable"}

    late = watch(broker)  # a Home Assistant started later
    try:
        wait_for(lambda: set(configs(late)) == EXPECTED, what="configs retained")
        assert late.get(GONE) is None and late.get(FOREIGN)
    finally:
        late.close()


def test_config_topics_follow_the_prefix_and_the_switch(layout: Layout) -> None:
    assert Discovery(layout, "homeassistant", FACTOR, BEAT_S, enabled=False).configs == {}
    on = Discovery(layout, "ha", FACTOR, BEAT_S)
    assert set(on.configs) == {t.replace("homeassistant/", "ha/", 1) for t in EXPECTED}
    assert on.ours == f"ha/+/{NODE}/+/config"
