"""config.json is checked at boot: a bad key is named and the node exits non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest

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
