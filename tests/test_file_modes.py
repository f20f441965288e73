"""Files that hold secrets or what nodes sent are this account's alone (0600 in 0700),
whatever the umask of whoever starts a service."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.deadletter import DeadLetters
from collector.spool import Spool
from devstack.mosquitto import Mosquitto
from hubsense.contract import Reject, RejectedMessage


@pytest.fixture(autouse=True)
def careless_umask() -> Iterator[None]:
    old = os.umask(0o000)  # a umask that would leave everything world-readable
    yield
    os.umask(old)


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_spool_and_dead_letters(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "collector" / "spool", 1 << 20)
    assert spool.append(b"zone_count,site=s count=1i 1")
    dead = DeadLetters(tmp_path / "collector" / "dead-letter.jsonl")
    dead.add("t", b"{}", RejectedMessage(Reject.PAYLOAD, "x"))
    dead.close()
    for p in (spool.dir, *spool.dir.iterdir(), dead.path):
        assert private(p), p


def test_dead_letters_rotate_within_their_bound(tmp_path: Path) -> None:
    dead = DeadLetters(tmp_path / "dead-letter.jsonl", max_bytes=2000)
    for i in range(40):
        dead.add("t", b"x" * 100, RejectedMessage(Reject.PAYLOAD, f"n{i}"))
    dead.close()
    rotated = tmp_path / "dead-letter.jsonl.1"
    assert rotated.exists() and not (tmp_path / "dead-letter.jsonl.2").exists()
    assert dead.path.stat().st_size <= 2000 and rotated.stat().st_size <= 2000
    assert private(dead.path) and private(rotated)
    last = dead.path.read_text().splitlines()[-1]
    assert '"detail": "n39"' in last


@pytest.mark.services
def test_the_brokers_logins_keys_and_data(broker: Mosquitto) -> None:
    w = broker.workdir
    for p in (w, w / "passwd", w / "data", broker.tls.dir, broker.tls.ca_key,
              broker.tls.server_key):
        assert private(p), p
