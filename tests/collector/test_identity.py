"""A login is an identity: no one can take another's session, or kick it off
(real Mosquitto as shipped, deploy/broker.py: the login is the client id).

Before, any node's login connecting with the client id `hubsense-collector`
and a clean session wiped the collector's persistent session (and the messages
queued in it), and one node could kick another off, firing its "offline" will.
"""

from __future__ import annotations

import json
import time

import paho.mqtt.client as mqtt
import pytest

from collector.service import Collector
from devstack.mosquitto import Mosquitto
from hubsense.contract import Reject, input_topic, node_topic
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import Settings
from tests.collector.conftest import SITE, NodeSim, count, stream, wait_for
from tests.collector.test_acl import Client

pytestmark = pytest.mark.services


def impostor(broker: Mosquitto, node: str, client_id: str, clean: bool = True,
             protocol: int = mqtt.MQTTv5) -> Client:
    """`node`'s own login, asking for someone else's client id."""
    c = Client(broker.host, broker.port, node, broker.users.passwords[node], protocol,
               client_id=client_id, clean=clean)
    wait_for(lambda: c.connack is not None, what="CONNACK")
    return c


@pytest.mark.parametrize("clean", [True, False])
def test_a_node_cannot_wipe_the_collectors_queued_messages(
        collector_settings: Settings, layout: Layout, broker: Mosquitto, tester: NodeSim,
        influx: InfluxV1, clean: bool) -> None:
    msgs = stream(200)
    with Collector(collector_settings, layout).start():
        pass  # the collector's persistent session now exists, and it is away
    tester.publish_many(msgs)  # queued for the collector in its session
    for proto in (mqtt.MQTTv5, mqtt.MQTTv311):
        c = impostor(broker, "desk-q1", "collector", clean, proto)
        c.close()
    with Collector(collector_settings, layout).start():
        wait_for(lambda: count(influx, "zone_count") == 200, timeout=30,
                 what="all 200 queued messages written")


def test_a_node_taking_the_collectors_id_does_not_disconnect_it(
        collector: Collector, broker: Mosquitto, tester: NodeSim, influx: InfluxV1) -> None:
    drops = 0

    def dropped(*_a: object) -> None:
        nonlocal drops
        drops += 1

    collector.client.on_disconnect = dropped
    msgs = stream(600)
    for i in range(6):  # an attacker retrying once a second, as in the report
        impostor(broker, "desk-q1", "collector", clean=True).close()
        tester.publish_many(msgs[i * 100:(i + 1) * 100])
        time.sleep(0.2)
    wait_for(lambda: count(influx, "zone_count") == 600, timeout=30, what="all 600 written")
    assert drops == 0
    assert collector.connected.is_set()


def test_a_node_cannot_kick_another_node_off(broker: Mosquitto, tester: NodeSim) -> None:
    status = node_topic(SITE, "desk-q2", "status")
    tester.client.subscribe(status, qos=1)
    victim = Client(broker.host, broker.port, "desk-q2", broker.users.passwords["desk-q2"],
                    mqtt.MQTTv311, client_id="desk-q2")
    victim.client.will_set(status, b"offline", qos=1, retain=True)  # as the firmware does
    wait_for(lambda: victim.connack is not None, what="victim connected")
    victim.client.publish(status, b"online", qos=1, retain=True).wait_for_publish(5)
    wait_for(lambda: tester.get(status) == b"online", what="victim online")
    for clean in (True, False):
        impostor(broker, "desk-q1", "desk-q2", clean, mqtt.MQTTv311).close()
    time.sleep(0.5)
    assert victim.disconnects == 0
    assert tester.get(status) == b"online", "the victim's will fired"
    victim.close()


def test_a_node_publishes_only_its_own_topics_of_this_site(
        broker: Mosquitto, tester: NodeSim) -> None:
    spy = tester
    spy.client.subscribe("#", qos=1)
    time.sleep(0.2)
    q1 = Client(broker.host, broker.port, "desk-q1", broker.users.passwords["desk-q1"])
    wait_for(lambda: q1.connack is not None, what="connected")
    refused = ["hubsense/v1/other-site/node/desk-q1/in/1",  # another site
               node_topic(SITE, "desk-q1", "in/1/extra"),  # made-up sub-topics
               node_topic(SITE, "desk-q1", "junk"),
               node_topic(SITE, "desk-q1", "in/17"),  # inputs go to 16
               node_topic(SITE, "desk-q1", "in/abc"),
               f"hubsense/v1/{SITE}/state/zone/quiet"]
    for t in refused:
        q1.client.publish(t, b"x", qos=1, retain=True)
    own = [input_topic(SITE, "desk-q1", 16), node_topic(SITE, "desk-q1", "heartbeat"),
           node_topic(SITE, "desk-q1", "status")]
    for t in own:
        q1.client.publish(t, b"y", qos=1)
    wait_for(lambda: all(spy.get(t) == b"y" for t in own), what="own topics delivered")
    time.sleep(0.3)
    assert [t for t in refused if spy.get(t) is not None] == []
    q1.close()


def test_a_retained_observation_is_refused_and_counted(
        collector: Collector, broker: Mosquitto, influx: InfluxV1) -> None:
    q1 = Client(broker.host, broker.port, "desk-q1", broker.users.passwords["desk-q1"])
    wait_for(lambda: q1.connack is not None, what="connected")
    body = json.dumps({"seq": 1, "ts": int(time.time() * 1000), "present": True})
    q1.client.publish(input_topic(SITE, "desk-q1", 1), body, qos=1, retain=True)
    body2 = json.dumps({"seq": 2, "ts": int(time.time() * 1000), "present": False})
    q1.client.publish(input_topic(SITE, "desk-q1", 2), body2, qos=1)
    wait_for(lambda: count(influx, "presence") == 1, what="the plain one written")
    wait_for(lambda: collector.metrics.rejected[Reject.RETAINED.value] == 1,
             what="the retained one refused")
    rows = influx.query('SELECT "present" FROM presence GROUP BY "input"')
    assert [s.tags["input"] for s in rows] == ["2"]
    q1.close()
