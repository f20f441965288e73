"""Mosquitto as hubsense ships it (deploy/broker.py), run on loopback for the demo and tests.

Only the listeners and file paths are local: the policy and the ACL are the
ones docker-compose deploys.
"""

from __future__ import annotations

import getpass
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from deploy.broker import BrokerPaths, Listener, Role, acl, mosquitto_conf
from deploy.certs import TlsFiles, create_ca, issue_server_cert
from devstack.processes import (
    Child,
    Server,
    StackError,
    require_free,
    tcp_open,
    wait_until,
)
from hubsense.files import private_dir
from hubsense.mqttlink import release
from hubsense.passwd import mosquitto_hash, read_passwd, write_passwd
from hubsense.passwords import new_secret

# The services' logins in a local stack, as in compose.
SERVICES = {"collector": Role.COLLECTOR, "api": Role.API, "homeassistant": Role.HOMEASSISTANT,
            "fleet": Role.FLEET}


@dataclass
class BrokerUsers:
    """Logins for one site's broker: services, nodes and (tests, bench) admins.

    The broker makes every client id its login, so two connections need two
    logins: tests take a fresh admin login per client with `take_admin()`.
    """

    site: str
    passwords: dict[str, str] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    nodes: list[str] = field(default_factory=list)
    _taken: set[str] = field(default_factory=set)

    @classmethod
    def for_site(cls, site: str, node_ids: list[str], admins: tuple[str, ...] = (),
                 passwords: Mapping[str, str] | None = None) -> BrokerUsers:
        """Logins for a site; `passwords` keeps the services' from an earlier run."""
        users = cls(site)
        for name, role in SERVICES.items():
            users.add(name, role, (passwords or {}).get(name))
        for node in node_ids:
            users.add(node)
        for admin in admins:
            users.add(admin, Role.ADMIN)
        return users

    def add(self, user: str, role: Role | None = None, password: str | None = None) -> str:
        """Add a login: a service of `role`, or a node when `role` is None."""
        self.passwords[user] = password or new_secret(18)
        if role is None:
            self.nodes.append(user)
        else:
            self.roles[user] = role
        return self.passwords[user]

    def take_admin(self) -> tuple[str, str]:
        """An admin login no client has taken yet (its own client id, its own session)."""
        for user, role in self.roles.items():
            if role is Role.ADMIN and user not in self._taken:
                self._taken.add(user)
                return user, self.passwords[user]
        raise StackError("no admin login left: give BrokerUsers.for_site more admins")

    def acl_text(self, ha_prefix: str = "homeassistant") -> str:
        return acl(self.site, self.roles, self.nodes, ha_prefix)


def login_works(host: str, port: int, user: str, password: str) -> bool:
    """True if the broker accepts this login now (connects and leaves at once)."""
    ok: list[bool] = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=user)
    c.username_pw_set(user, password)
    c.on_connect = lambda _c, _u, _f, rc, _p: ok.append(not rc.is_failure)
    try:
        c.connect(host, port, keepalive=10)
        deadline = time.monotonic() + 2
        while not ok and time.monotonic() < deadline and c.loop(0.1) == 0:
            pass
        c.disconnect()
    except OSError:
        return False
    finally:
        release(c)
    return bool(ok and ok[0])


class Mosquitto(Server):
    """A Mosquitto broker on loopback, with its files under `workdir`.

    `tls_port`: also listen with TLS there, with a server certificate from a
    site CA made in `workdir/tls` (`tls.ca_crt` is what clients verify with).
    `node_logins`: a file of hashed logins of provisioned nodes (`fleet.node_logins`)
    that the broker takes too; `hubsense node …` rewrites it and reloads the
    broker (deploy/provision.py: the workdir is `fleet.broker_dir`).
    """

    name = "mosquitto"

    def __init__(self, workdir: Path, port: int, users: BrokerUsers, host: str = "127.0.0.1",
                 tls_port: int | None = None, node_logins: Path | None = None) -> None:
        self.workdir = workdir
        self.host = host
        self.port = port
        self.tls_port = tls_port
        self.users = users
        self.node_logins = node_logins
        self.tls = TlsFiles(workdir / "tls")
        self.child: Child | None = None

    def write_logins(self) -> None:
        """Write the password file and the ACL; a running broker reads them on reload().

        The password file is this harness's logins (kept in base.passwd) with the
        provisioned nodes' over them, as deploy.provision.reload_broker writes it."""
        base = {u: mosquitto_hash(p) for u, p in self.users.passwords.items()}
        write_passwd(self.workdir / "base.passwd", base)
        if self.node_logins is not None:
            base.update(read_passwd(self.node_logins))
        write_passwd(self.workdir / "passwd", base)
        (self.workdir / "acl").write_text(self.users.acl_text())

    def write_config(self) -> Path:
        private_dir(self.workdir)
        data = private_dir(self.workdir / "data")
        self.write_logins()
        listeners = [Listener(self.port, self.host)]
        if self.tls_port is not None:
            if not self.tls.ca_crt.exists():
                create_ca(self.tls, self.users.site)
            issue_server_cert(self.tls, [self.host])
            listeners.append(Listener(self.tls_port, self.host, tls=True))
        paths = BrokerPaths(passwd=self.workdir / "passwd", acl=self.workdir / "acl", data=data,
                            certfile=self.tls.server_crt, keyfile=self.tls.server_key)
        conf = self.workdir / "mosquitto.conf"
        # Stay the user who started us (as root it would switch to "mosquitto",
        # which cannot read a private work directory).
        conf.write_text(mosquitto_conf(listeners, paths, run_as=getpass.getuser()))
        return conf

    def reload(self) -> None:
        """Make the running broker read its password file and ACL again (SIGHUP)."""
        if self.child is None or not self.child.alive():
            raise StackError("mosquitto is not running")
        os.kill(self.child.pid, signal.SIGHUP)

    def add_login(self, user: str, role: Role | None = None, timeout: float = 10.0) -> str:
        """Give the running broker a new login (no restart); return its password."""
        password = self.users.add(user, role)
        self.write_logins()
        self.reload()
        wait_until(lambda: login_works(self.host, self.port, user, password), timeout,
                   f"the broker taking login {user}")
        return password

    def start(self, timeout: float = 15.0) -> Mosquitto:
        require_free(self.host, self.port, "mosquitto")
        if self.tls_port is not None:
            require_free(self.host, self.tls_port, "mosquitto (TLS)")
        conf = self.write_config()

        def ready() -> bool:
            return tcp_open(self.host, self.port) and (
                self.tls_port is None or tcp_open(self.host, self.tls_port))

        self._launch("/usr/sbin/mosquitto", "mosquitto", ["-c", str(conf)],
                     self.workdir / "mosquitto.log", ready, timeout)
        assert self.child is not None
        (self.workdir / "mosquitto.pid").write_text(f"{self.child.pid}\n")
        return self
