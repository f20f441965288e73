"""The broker docker-compose runs is the broker the tests run (deploy/broker.py).

docker-compose's `broker-config` step is run here as compose runs it (its
command and environment read from docker-compose.yml), and what it writes is
compared with the local stack's broker line by line: only listeners and file
paths may differ. Its logins are then tried against a real Mosquitto.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import main
from deploy.broker import BrokerPaths, Listener, mosquitto_conf
from deploy.certs import TlsFiles, create_ca, issue_server_cert
from devstack.mosquitto import BrokerUsers, Mosquitto, login_works
from devstack.processes import Child, free_port, tcp_open, wait_until
from hubsense.contract import input_topic, state_topic
from hubsense.layout import Layout
from hubsense.passwd import mosquitto_hash, write_passwd
from hubsense.passwords import new_secret
from tests.collector.test_acl import NOT_AUTHORIZED, Client
from tests.conftest import EXAMPLE_LAYOUT, ROOT

pytestmark = pytest.mark.services

# Options that name a port, a file or where logs go: allowed to differ.
LOCAL = {"listener", "password_file", "acl_file", "persistence_location", "certfile",
         "keyfile", "log_dest", "user"}


def _service() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    svc: dict[str, Any] = compose["services"]["broker-config"]
    return svc


@pytest.fixture
def rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run the compose step's command here: its arguments, with host paths for its mounts."""
    svc = _service()
    argv: list[str] = svc["command"]
    secrets = tmp_path / "secrets"
    tls = TlsFiles(secrets / "tls")
    create_ca(tls, "hbg-works")
    issue_server_cert(tls, ["hub.example.org"])
    node_pw = new_secret()
    write_passwd(secrets / "nodes.passwd", {"desk-q1": mosquitto_hash(node_pw)})
    mounts = {"/etc/hubsense/hubsense.toml": ROOT / "deploy" / "hubsense.toml",
              "/secrets": secrets, "/broker": tmp_path / "broker"}
    local = []
    for a in argv:
        for inside, outside in mounts.items():
            if a == inside or a.startswith(inside + "/"):
                a = str(outside) + a[len(inside):]
        local.append(a)
    env = {k: v for k, v in svc["environment"].items() if not k.endswith("PASSWORD")}
    passwords = {k: new_secret() for k in svc["environment"] if k.endswith("PASSWORD")}
    for k, v in {**env, **passwords, "HUBSENSE_LAYOUT": str(EXAMPLE_LAYOUT),
                 "HUBSENSE_INFLUX__PASSWORD": new_secret()}.items():
        monkeypatch.setenv(k, v)
    assert main(local) == 0
    return {"dir": tmp_path / "broker", "passwords": passwords, "node_pw": node_pw}


def _options(conf: str) -> list[tuple[str, str]]:
    out = []
    for line in conf.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            out.append((key, value))
    return out


def test_compose_and_local_brokers_differ_only_in_listeners_and_paths(
        rendered: dict[str, Any], tmp_path: Path, layout: Layout) -> None:
    compose = _options((rendered["dir"] / "mosquitto.conf").read_text())
    users = BrokerUsers.for_site(layout.site.id, [n.id for n in layout.nodes])
    local = _options(Mosquitto(tmp_path / "local", free_port(), users,
                               tls_port=free_port()).write_config().read_text())
    # The local stack has one listener more (plain, on loopback) with the same options,
    # so the policy lines are the same once each listener's repeats are set aside.
    policy = {o for o in local if o[0] not in LOCAL}
    assert {o for o in compose if o[0] not in LOCAL} == policy
    assert ("autosave_interval", "1") in policy and ("use_username_as_clientid", "true") in policy
    # In compose every listener is TLS, on the broker's TLS port.
    listeners = [v for k, v in compose if k == "listener"]
    assert listeners == ["8883"]
    assert sum(k == "certfile" for k, _ in compose) == len(listeners)


def test_compose_and_local_acls_are_the_same(rendered: dict[str, Any], layout: Layout) -> None:
    users = BrokerUsers.for_site(layout.site.id, [n.id for n in layout.nodes])
    assert (rendered["dir"] / "acl").read_text() == users.acl_text()


def test_rendered_files_are_private(rendered: dict[str, Any]) -> None:
    for name in ("passwd", "acl", "mosquitto.conf", "server.key", "server.crt"):
        assert (rendered["dir"] / name).stat().st_mode & 0o077 == 0, name
    assert rendered["dir"].stat().st_mode & 0o077 == 0


def test_rendered_logins_work_on_a_real_broker(rendered: dict[str, Any], tmp_path: Path,
                                                layout: Layout) -> None:
    out = rendered["dir"]
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(mosquitto_conf([Listener(port, "127.0.0.1")],
                                   BrokerPaths(passwd=out / "passwd", acl=out / "acl",
                                               data=data), run_as=getpass.getuser()))
    child = Child("mosquitto", ["/usr/sbin/mosquitto", "-c", str(conf)], tmp_path / "log").start()
    try:
        wait_until(lambda: tcp_open("127.0.0.1", port), 10, "mosquitto", child.alive)
        pw = rendered["passwords"]
        for user, key in (("collector", "HUBSENSE_COLLECTOR__MQTT__PASSWORD"),
                          ("api", "HUBSENSE_API__MQTT__PASSWORD"),
                          ("homeassistant", "HUBSENSE_BROKER__HOMEASSISTANT__PASSWORD")):
            assert login_works("127.0.0.1", port, user, pw[key]), user
            assert not login_works("127.0.0.1", port, user, new_secret()), user
        assert login_works("127.0.0.1", port, "desk-q1", rendered["node_pw"])
        # Home Assistant reads, and may not write live state.
        ha = Client("127.0.0.1", port, "homeassistant",
                    pw["HUBSENSE_BROKER__HOMEASSISTANT__PASSWORD"])
        try:
            wait_until(lambda: ha.connack is not None, 10, "CONNACK")
            info = ha.client.publish(state_topic(layout.site.id, "zone", "quiet"), b"{}", qos=1)
            info.wait_for_publish(10)
            wait_until(lambda: bool(ha.pubacks), 10, "PUBACK")
            assert ha.pubacks[0].value == NOT_AUTHORIZED
            node_topic = input_topic(layout.site.id, "desk-q1", 1)
            ha.client.publish(node_topic, b"{}", qos=1).wait_for_publish(10)
            wait_until(lambda: len(ha.pubacks) == 2, 10, "PUBACK")
            assert ha.pubacks[1].value == NOT_AUTHORIZED
        finally:
            ha.close()
    finally:
        child.stop()
