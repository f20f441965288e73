"""config.validate on its own: defaults and rules between keys."""

import json

from hubsense_node import config

BASE = """{"node": "desk-q1", "site": "hbg-works", "kind": "desk",
 "broker": {"host": "192.168.1.10", "password": "p"},
 "inputs": [{"n": 1, "sensor": "pir"}]}"""


def broker(**keys):
    raw = json.loads(BASE)
    raw["broker"].update(keys)
    return config.validate(raw)["broker"]


def test_port_defaults_to_8883_with_a_ca_and_1883_without():
    assert broker()["port"] == 1883
    assert broker(ca="ca.der")["port"] == 8883
    assert broker(ca="ca.der", port=18883)["port"] == 18883


def test_server_name_defaults_to_none_and_needs_a_ca():
    b = broker(ca="ca.der")
    assert b["ca"] == "ca.der" and b["server_name"] is None
    assert broker(ca="ca.der", server_name="mosquitto")["server_name"] == "mosquitto"
    try:
        broker(server_name="mosquitto")
    except ValueError as exc:
        assert "'broker.server_name' needs 'broker.ca'" in str(exc)
    else:
        raise AssertionError("a server name without a CA was accepted")


def test_the_shipped_example_is_valid_and_speaks_tls():
    import hubsense_node

    sensors = hubsense_node.__file__.rsplit("/", 2)[0]
    cfg = config.load(sensors + "/config.example.json", need_wifi=True)
    assert cfg["broker"]["ca"] == "ca.der" and cfg["broker"]["port"] == 8883
