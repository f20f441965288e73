"""Mosquitto as hubsense ships it: one policy for docker-compose and the local stack.

`mosquitto_conf()` and `acl()` are the only source of the broker's settings
and access rules. The compose init service (`hubsense broker render`) and the
local stack (`hubsense up`, every test) call them; the two differ only in the
listeners and file paths passed in (tests/deploy/test_broker_config.py holds
them to that), so the crash-loss window and the limits the docs promise are
the ones the tests measure.

Identities (docs/security.md): every listener replaces the client id with the
login (`use_username_as_clientid`), so no login can take another's session or
kick it off, and each service instance needs a login of its own. A node may
publish only its own `in/1`…`in/16`, `heartbeat`, `status` and `update`
topics of this site, and read only its own update offer (`ota`), which only
the fleet login writes; exact topic names keep what a stolen node can leave
retained on the broker to 19 messages of at most MAX_PACKET_SIZE bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hubsense.contract import (
    MAX_PACKET_SIZE,
    ROOT,
    collector_heartbeat_topic,
    collector_status_topic,
)

# Persistence: Mosquitto writes its in-memory state (sessions, queued and
# retained messages) every second; a broker killed without warning loses at
# most the messages it acknowledged in the last second (docs/deploy.md).
AUTOSAVE_INTERVAL_S = 1
# A collector away for a while must find its messages queued, not dropped;
# bounded in bytes too, so a flood cannot take the host's memory.
MAX_QUEUED_MESSAGES = 1_000_000
MAX_QUEUED_BYTES = 512 * 1024 * 1024
# The collector's drain benchmark (bench/collector_throughput.py) needs this window.
MAX_INFLIGHT_MESSAGES = 5000
# Input numbers a layout may give a node (hubsense.layout.Input.n).
MAX_INPUTS = 16


class Role(StrEnum):
    """What a login may do on the broker."""

    COLLECTOR = "collector"  # reads node traffic, owns live state and discovery
    API = "api"  # reads live state
    HOMEASSISTANT = "homeassistant"  # reads discovery and live state
    FLEET = "fleet"  # offers nodes updates, clears a removed node's topics, reads node state
    ADMIN = "admin"  # anything: tests and benchmarks only, never shipped


@dataclass(frozen=True)
class Listener:
    port: int
    host: str | None = None  # None: every interface (inside a container)
    tls: bool = False


@dataclass(frozen=True)
class BrokerPaths:
    """Where the broker finds its files; the compose and local values differ."""

    passwd: Path
    acl: Path
    data: Path
    certfile: Path | None = None
    keyfile: Path | None = None


# (option, value) of the policy, in file order. Keep every limit here.
POLICY: tuple[tuple[str, str], ...] = (
    ("per_listener_settings", "false"),
    ("allow_anonymous", "false"),
    ("persistence", "true"),
    ("autosave_interval", str(AUTOSAVE_INTERVAL_S)),
    ("autosave_on_changes", "false"),
    ("max_queued_messages", str(MAX_QUEUED_MESSAGES)),
    ("max_queued_bytes", str(MAX_QUEUED_BYTES)),
    ("max_inflight_messages", str(MAX_INFLIGHT_MESSAGES)),
    # Not message_size_limit: Mosquitto 2.0 answers that with a PUBACK paho cannot parse.
    ("max_packet_size", str(MAX_PACKET_SIZE)),
    ("set_tcp_nodelay", "true"),
    ("log_type", "error"),
    ("log_type", "warning"),
    ("log_type", "notice"),
    ("connection_messages", "true"),
)
# Set on every listener (they are listener options in Mosquitto 2.0).
LISTENER_POLICY: tuple[tuple[str, str], ...] = (("use_username_as_clientid", "true"),)
TLS_POLICY: tuple[tuple[str, str], ...] = (("tls_version", "tlsv1.2"),)


def mosquitto_conf(listeners: Sequence[Listener], paths: BrokerPaths, *,
                   log_dest: str = "stderr", run_as: str | None = None) -> str:
    """The whole mosquitto.conf for these listeners and files."""
    lines = ["# Written by hubsense (deploy/broker.py); edit the policy there, not here."]
    if run_as is not None:
        lines.append(f"user {run_as}")
    lines += [f"{k} {v}" for k, v in POLICY]
    lines += [f"password_file {paths.passwd}", f"acl_file {paths.acl}",
              f"persistence_location {paths.data}/", f"log_dest {log_dest}"]
    for lst in listeners:
        lines.append(f"listener {lst.port}" + (f" {lst.host}" if lst.host else ""))
        lines += [f"{k} {v}" for k, v in LISTENER_POLICY]
        if lst.tls:
            if paths.certfile is None or paths.keyfile is None:
                raise ValueError("a TLS listener needs a certfile and a keyfile")
            lines += [f"certfile {paths.certfile}", f"keyfile {paths.keyfile}"]
            lines += [f"{k} {v}" for k, v in TLS_POLICY]
    return "\n".join(lines) + "\n"


def node_topics(site: str) -> list[str]:
    """The topics a node (`%u`) may publish, and nothing else."""
    base = f"{ROOT}/{site}/node/%u"
    return ([f"{base}/in/{n}" for n in range(1, MAX_INPUTS + 1)]
            + [f"{base}/heartbeat", f"{base}/status", f"{base}/update"])


def node_reads(site: str) -> list[str]:
    """The one topic a node (`%u`) may read: its update offer."""
    return [f"{ROOT}/{site}/node/%u/ota"]


def _rules(role: Role, site: str, ha_prefix: str) -> list[str]:
    site_root = f"{ROOT}/{site}"
    discovery = f"{ha_prefix}/+/hubsense_{site}/#"
    if role is Role.COLLECTOR:
        return [f"topic read {site_root}/node/#", f"topic readwrite {site_root}/state/#",
                f"topic readwrite {site_root}/collector/#", f"topic readwrite {discovery}"]
    if role is Role.API:
        return [f"topic read {site_root}/state/#", f"topic read {site_root}/collector/#"]
    if role is Role.FLEET:
        # Offers are retained per node; a removed node's retained status is cleared;
        # what the collector says of each node shows how updates go.
        return [f"topic readwrite {site_root}/node/+/ota", f"topic write {site_root}/node/+/status",
                f"topic read {site_root}/state/node/#"]
    if role is Role.HOMEASSISTANT:
        # Home Assistant announces itself on <prefix>/status; that is all it may write.
        return [f"topic read {discovery}", f"topic read {site_root}/state/#",
                f"topic read {collector_status_topic(site)}",
                f"topic read {collector_heartbeat_topic(site)}",
                f"topic write {ha_prefix}/status"]
    return ["topic readwrite #"]


class LoginClash(ValueError):
    """A service login that is also a node id would get a node's rights too."""


def acl(site: str, logins: Mapping[str, Role], node_ids: Sequence[str] = (),
        ha_prefix: str = "homeassistant") -> str:
    """The ACL file: one section per service login, then the rule for every node."""
    clash = sorted(set(logins) & set(node_ids))
    if clash:
        raise LoginClash(f"service logins {clash} are also node ids in the layout; "
                         f"give the services other logins")
    out = [f"# Written by hubsense (deploy/broker.py) for site {site}."]
    for user, role in sorted(logins.items()):
        out += ["", f"# {role.value}", f"user {user}", *_rules(role, site, ha_prefix)]
    out += ["", "# Every other login is a node: its own topics of this site, write only,"]
    out += ["# and its own update offer, read only."]
    out += [f"pattern write {t}" for t in node_topics(site)]
    out += [f"pattern read {t}" for t in node_reads(site)]
    return "\n".join(out) + "\n"
