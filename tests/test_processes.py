"""The dev stack's process helpers: ports no client can steal, failures that say why."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from devstack.processes import Server, StackError, ephemeral_ports, free_port


def test_free_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    low, _ = ephemeral_ports()
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    assert all(1024 <= p < low for p in ports)
    with socket.socket() as s:  # the last one handed out is really free to listen on
        s.bind(("127.0.0.1", ports[-1]))


def test_a_server_that_dies_at_start_up_shows_its_log(tmp_path: Path) -> None:
    server = Server()
    server.name = "broken"
    with pytest.raises(StackError) as caught:
        server._launch("/bin/sh", "dash", ["-c", "echo cannot bind: address in use >&2; exit 3"],
                       tmp_path / "broken.log", lambda: False, 5.0)
    assert "broken exited during start-up" in str(caught.value)
    assert "cannot bind: address in use" in str(caught.value)
