"""TLS from the real firmware (unix port, mbedTLS) to Mosquitto's real TLS listener.

The node checks the broker's certificate against the site CA it carries and
against the name it connects by; a node that cannot check it sends nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from deploy.certs import TlsFiles, create_ca
from devstack.mosquitto import Mosquitto
from devstack.nodes import MicroNode
from hubsense.contract import parse_node_topic, parse_observation
from hubsense.layout import Layout
from tests.conftest import eventually
from tests.sensors.conftest import SITE, Message, NodeFactory, Recorder, topic

pytestmark = pytest.mark.services

NODE = "desk-q1"
STATUS = topic(NODE, "status")
IN1 = topic(NODE, "in/1")


def _present(value: bool) -> Callable[[Message], bool]:
    return lambda m: m.topic == IN1 and json.loads(m.payload).get("present") is value


@pytest.mark.parametrize("server_name", [None, "mosquitto"], ids=["by-address", "by-name"])
def test_node_with_the_site_ca_publishes_over_tls(make_node: NodeFactory, recorder: Recorder,
                                                  layout: Layout, broker: Mosquitto,
                                                  server_name: str | None) -> None:
    """By address (127.0.0.1, the default name is the host) or by a DNS name the
    certificate carries (the compose service name, resolved here to loopback)."""
    node = make_node(NODE, tls=True, overrides={"broker": {"server_name": server_name}})
    assert node.config["broker"]["port"] == broker.tls_port != broker.port
    node.start()
    recorder.wait_for(lambda m: m.topic == STATUS and m.payload == b"online", what="online")
    recorder.wait_for(_present(False), what="boot observation")
    node.set_inputs({1: True})
    m = recorder.wait_for(_present(True), what="present=true over TLS")
    obs = parse_observation(layout, parse_node_topic(m.topic, SITE), m.payload)
    assert (obs.node, obs.desk) == (NODE, "q-01")
    assert f"mqtt: connected to 127.0.0.1:{broker.tls_port}" in node.output()


def _refused(node: MicroNode, recorder: Recorder, reason: str) -> None:
    """The node tries, is refused for `reason` again and again, stays up, and
    the broker has nothing from it (its boot burst and a flip stay queued)."""
    node.set_inputs({1: False})
    node.start()
    node.set_inputs({1: True})
    eventually(lambda: node.output().count("mqtt: connection lost") >= 3, timeout=15,
               what="three refused attempts")
    log = node.output()
    assert node.alive(), log
    assert "mqtt: connected" not in log
    assert reason in log
    assert not [m for m in recorder.messages() if m.topic.startswith(topic(NODE, ""))]


def test_node_without_a_ca_cannot_talk_to_the_tls_listener(make_node: NodeFactory,
                                                           recorder: Recorder,
                                                           broker: Mosquitto) -> None:
    """No `broker.ca`: plain MQTT, which the TLS port refuses before any login."""
    node = make_node(NODE, tls=True, ca_der=None)
    assert "ca" not in node.config["broker"]
    _refused(node, recorder, "mqtt: connection lost")
    # The broker read the CONNECT where a TLS record was due.
    assert "wrong version number" in (broker.workdir / "mosquitto.log").read_text()


def test_node_trusting_another_ca_is_refused(make_node: NodeFactory, recorder: Recorder,
                                             tmp_path: Path) -> None:
    """A broker with a certificate from another CA (an impostor on the Wi-Fi)."""
    other = TlsFiles(tmp_path / "other-site")
    create_ca(other, "other-site")
    node = make_node(NODE, tls=True, ca_der=other.ca_der)
    _refused(node, recorder, "not correctly signed by the trusted CA")


@pytest.mark.parametrize("name", ["wrong.example", "127.0.0.2"])
def test_node_connecting_by_a_name_the_certificate_lacks_is_refused(
        make_node: NodeFactory, recorder: Recorder, name: str) -> None:
    """The right CA but another name (DNS or address): the name is checked too."""
    node = make_node(NODE, tls=True, overrides={"broker": {"server_name": name}})
    _refused(node, recorder, "does not match with the expected CN")
