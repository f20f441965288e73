"""Mosquitto as hubsense ships it: no anonymous access, a login per node and
per service, an ACL that keeps each node under its own id, persistence on."""

from __future__ import annotations

import getpass
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from hubsense.stack.processes import Child, Server, StackError, require_free, tcp_open

SERVICE_ACL = {
    # The collector reads node traffic and owns the state and discovery topics.
    "collector": ["topic read hubsense/v1/+/node/#",
                  "topic readwrite hubsense/v1/+/state/#",
                  "topic readwrite hubsense/v1/+/collector/#",
                  "topic readwrite homeassistant/#"],
    # The API only reads live state.
    "api": ["topic read hubsense/v1/+/state/#",
            "topic read hubsense/v1/+/collector/#"],
}

# Each node user may publish under its own id only, and read nothing.
NODE_PATTERN = "pattern write hubsense/v1/+/node/%u/#"


@dataclass
class BrokerUsers:
    """Logins for one broker: services, nodes and (tests, bench) superusers."""

    passwords: dict[str, str] = field(default_factory=dict)
    acl: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def for_site(cls, node_ids: list[str], admins: tuple[str, ...] = ()) -> BrokerUsers:
        users = cls()
        for name, lines in SERVICE_ACL.items():
            users.add(name, lines)
        for node in node_ids:
            users.add(node, [])
        for admin in admins:
            users.add(admin, ["topic readwrite #"])
        return users

    def add(self, user: str, acl: list[str], password: str | None = None) -> str:
        self.passwords[user] = password or secrets.token_urlsafe(18)
        self.acl[user] = acl
        return self.passwords[user]

    def acl_text(self) -> str:
        out = []
        for user, lines in self.acl.items():
            if lines:
                out.append(f"user {user}")
                out.extend(lines)
                out.append("")
        out.append(NODE_PATTERN)
        return "\n".join(out) + "\n"


class Mosquitto(Server):
    """A Mosquitto broker bound to loopback, with its files under `workdir`."""

    name = "mosquitto"

    def __init__(self, workdir: Path, port: int, users: BrokerUsers, host: str = "127.0.0.1",
                 autosave_interval_s: int = 1, max_queued: int = 1_000_000) -> None:
        self.workdir = workdir
        self.host = host
        self.port = port
        self.users = users
        self.autosave_interval_s = autosave_interval_s
        self.max_queued = max_queued
        self.child: Child | None = None

    def write_config(self) -> Path:
        exe = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        if not Path(exe).exists():
            raise StackError("mosquitto_passwd not found: apt-get install -y mosquitto")
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        passwd = self.workdir / "passwd"
        passwd.write_text("".join(f"{u}:{p}\n" for u, p in self.users.passwords.items()))
        passwd.chmod(0o600)
        subprocess.run([exe, "-U", str(passwd)], check=True, capture_output=True)
        acl = self.workdir / "acl"
        acl.write_text(self.users.acl_text())
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"""# Written by hubsense; edit the stack settings instead.
per_listener_settings false
# Stay the user who started us (as root it would switch to "mosquitto",
# which cannot read a private work directory).
user {getpass.getuser()}
listener {self.port} {self.host}
allow_anonymous false
password_file {passwd}
acl_file {acl}
persistence true
persistence_location {data}/
autosave_interval {self.autosave_interval_s}
# A slow or absent collector must not be silently dropped: queue generously.
max_queued_messages {self.max_queued}
max_queued_bytes 0
max_inflight_messages 5000
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
log_type notice
connection_messages true
"""
        )
        return conf

    def start(self, timeout: float = 15.0) -> Mosquitto:
        require_free(self.host, self.port, "mosquitto")
        conf = self.write_config()
        self._launch("/usr/sbin/mosquitto", "mosquitto", ["-c", str(conf)],
                     self.workdir / "mosquitto.log", lambda: tcp_open(self.host, self.port),
                     timeout)
        return self
