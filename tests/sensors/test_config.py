"""config.json is checked at boot: a bad key is named and the node exits non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.certs import TlsFiles, create_ca
from devstack.nodes import MicroNode

pytestmark = pytest.mark.services

CASES = {
    "missing broker password": ({"broker": {"password": None}}, "missing key 'broker.password'"),
    "missing node id": ({"node": None}, "missing key 'node'"),
    "misspelt key": ({"heartbeats": 30}, "unknown key 'heartbeats'"),
    "wrong type": ({"heartbeat_s": "30"}, "key 'heartbeat_s' must be int, got str"),
    "unknown sensor": ({"inputs": [{"n": 1, "sensor": "camera"}]}, "key 'inputs[0].sensor'"),
    "input key of another sensor": ({"inputs": [{"n": 1, "sensor": "pir", "offset_db": 3}]},
                                    "unknown key 'inputs[0].offset_db'"),
    "wrong measure for kind": ({"inputs": [{"n": 1, "sensor": "beams"}]},
                               "a desk node has no such input"),
    "server name without a CA": ({"broker": {"server_name": "mosquitto"}},
                                 "key 'broker.server_name' needs 'broker.ca' (TLS)"),
    "CA file missing": ({"broker": {"ca": "site-ca.der"}},
                        "key 'broker.ca': cannot load site-ca.der"),
}


@pytest.mark.parametrize("overrides,expected", CASES.values(), ids=CASES.keys())
def test_bad_config_is_named_and_exits_non_zero(tmp_path: Path, overrides: dict[str, object],
                                                expected: str) -> None:
    # Port 9 (discard) is never reached: the node must stop before connecting.
    node = MicroNode(tmp_path, "desk-q1", "hbg-works", "127.0.0.1", 9, "pw",
                     overrides=overrides).start()
    code = node.wait(timeout=10)
    out = node.output()
    assert code == 1, out
    assert expected in out
    assert "config error" in out and "connected" not in out


def test_a_ca_that_is_not_der_is_named_and_exits_non_zero(tmp_path: Path) -> None:
    """The PEM file (ca.crt) where the node needs the DER one (ca.der)."""
    files = TlsFiles(tmp_path / "tls")
    create_ca(files, "hbg-works")
    node = MicroNode(tmp_path / "node", "desk-q1", "hbg-works", "127.0.0.1", 9, "pw",
                     ca_der=files.ca_crt).start()
    assert node.wait(timeout=10) == 1, node.output()
    assert "config error: key 'broker.ca': cannot load ca.der: invalid cert" in node.output()

