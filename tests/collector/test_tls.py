"""Services talk TLS to the broker (its TLS listener, as shipped) and check its certificate."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.service import Collector
from deploy.certs import TlsFiles, create_ca
from devstack.mosquitto import Mosquitto
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import MqttSettings, Settings
from tests.collector.conftest import NodeSim, count, wait_for

pytestmark = pytest.mark.services


def over_tls(s: Settings, broker: Mosquitto, ca: Path) -> Settings:
    assert broker.tls_port is not None
    return s.model_copy(update={"mqtt": MqttSettings(host=broker.host, port=broker.tls_port,
                                                     tls=True, ca_file=ca)})


def test_the_collector_works_over_tls(collector_settings: Settings, layout: Layout,
                                      broker: Mosquitto, tester: NodeSim,
                                      influx: InfluxV1) -> None:
    with Collector(over_tls(collector_settings, broker, broker.tls.ca_crt), layout).start():
        tester.observe("buzz-n", 1, count=3)
        wait_for(lambda: count(influx, "zone_count") == 1, what="a point through TLS")


def test_a_broker_the_site_ca_did_not_sign_is_not_trusted(
        collector_settings: Settings, layout: Layout, broker: Mosquitto,
        tmp_path: Path) -> None:
    """Someone else's broker on the Wi-Fi (here: a certificate of another CA) never
    gets the collector's password."""
    other = TlsFiles(tmp_path / "other-ca")
    create_ca(other, "elsewhere")
    collector = Collector(over_tls(collector_settings, broker, other.ca_crt), layout)
    with pytest.raises(TimeoutError):
        collector.start(timeout=5)
    # It stopped at the handshake: the broker never saw its login.
    assert " as collector " not in (broker.workdir / "mosquitto.log").read_text()
