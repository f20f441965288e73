"""The node and the server compute the same: passwords, manifest tags, the path rule.

The firmware's HMAC-SHA256 and manifest check run on the real unix port here and
are held to Python's hmac and hubsense.manifest, byte for byte."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from devstack.nodes import SENSORS_DIR, micropython_exe
from hubsense.manifest import FileEntry, Manifest, allowed_path, parse
from hubsense.nodekey import new_key, password, tag

_SCRIPT = """
import json, sys
from binascii import hexlify, unhexlify
from hubsense_node import hmac
from hubsense_node.otafetch import _entry
job = json.loads(sys.stdin.read())
out = {"passwords": [], "tags": [], "paths": []}
for k, n in job["passwords"]:
    out["passwords"].append(hmac.password(unhexlify(k), n))
for k, body in job["tags"]:
    out["tags"].append(hexlify(hmac.digest(unhexlify(k), body.encode())).decode())
for p in job["paths"]:
    try:
        _entry("%s 1 %s" % ("0" * 64, p))
        out["paths"].append(True)
    except ValueError:
        out["paths"].append(False)
print(json.dumps(out))
"""

PATHS = ["config.json", "ca.der", "hubsense_node/mqtt.mpy", "hubsense_node/drivers/pir.mpy",
         "main.py", "otaboot.mpy", "board.mpy", "node.key", "wifi.json", "ota.json",
         "hubsense_node/../main.py", "hubsense_node/x.py", "hubsense_node/X.mpy",
         "/hubsense_node/x.mpy", "hubsense_node/a b.mpy", "hubsense_node/.mpy",
         "hubsense_node//x.mpy", "hubsense_node/./x.mpy", "hubsense_node/drivers/../x.mpy"]


def _firmware(job: dict[str, object]) -> dict[str, list[object]]:
    run = subprocess.run([micropython_exe(), "-X", "heapsize=128K", "-c", _SCRIPT],
                         input=json.dumps(job), capture_output=True, text=True, timeout=60,
                         env={**os.environ, "MICROPYPATH": f"{SENSORS_DIR}:.frozen"})
    assert run.returncode == 0, run.stdout + run.stderr
    out: dict[str, list[object]] = json.loads(run.stdout)
    return out


@pytest.fixture(scope="module")
def keys() -> list[bytes]:
    return [new_key() for _ in range(5)]


def test_node_and_server_derive_the_same_passwords(keys: list[bytes]) -> None:
    job = [(k.hex(), n) for k in keys for n in (1, 2, 77)]
    assert _firmware({"passwords": job, "tags": [], "paths": []})["passwords"] == [
        password(bytes.fromhex(k), n) for k, n in job]


def test_node_and_server_tag_a_manifest_alike(keys: list[bytes]) -> None:
    m = Manifest("hbg-works", "desk-q1", 3, "0.2.0", 120,
                 (FileEntry.of("config.json", b"{}"), FileEntry.of("hubsense_node/a.mpy", b"x")))
    bodies = [m.body().decode(), "", "x" * 200]
    job = [(k.hex(), b) for k in keys for b in bodies]
    assert _firmware({"passwords": [], "tags": job, "paths": []})["tags"] == [
        tag(bytes.fromhex(k), b.encode()) for k, b in job]
    assert parse(m.signed(keys[0]), keys[0]) == m


def test_node_and_server_allow_the_same_paths() -> None:
    assert _firmware({"passwords": [], "tags": [], "paths": PATHS})["paths"] == [
        allowed_path(p) for p in PATHS]
