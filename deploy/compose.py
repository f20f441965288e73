"""What docker-compose's `broker-config` step writes for Mosquitto, from the one policy.

`hubsense broker render` runs in the hubsense image at every `docker-compose
up`, reads the same settings and layout as the services, and writes
mosquitto.conf, the ACL, the password file and the broker's certificate into
a volume that the broker's container copies at start (its entrypoint makes
them the broker's own: a private key must not be readable by anyone else).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from deploy.broker import BrokerPaths, Listener, Role, acl, mosquitto_conf
from deploy.certs import TlsFiles
from hubsense.files import private_dir, write_private
from hubsense.layout import Layout
from hubsense.passwd import mosquitto_hash, read_passwd, write_passwd
from hubsense.settings import Credentials, Settings

# Where the broker's container keeps what it runs with (deploy/mosquitto/entrypoint.sh).
RUN = Path("/mosquitto/run")
DATA = Path("/mosquitto/data")
TLS_PORT = 8883


@dataclass(frozen=True)
class RenderInputs:
    """The files `hubsense broker render` reads besides the settings and layout."""

    tls: TlsFiles  # the site CA's directory: server.crt and server.key are used
    node_logins: Path  # hashed node logins (`hubsense node add`, or mosquitto_passwd)
    simulator_logins: Path | None = None  # plaintext node:password lines, if simulated


def service_logins(settings: Settings) -> dict[str, tuple[Role, Credentials]]:
    """Every service login the settings name, with the role it gets on the broker."""
    found: list[tuple[Role, Credentials | None]] = [
        (Role.COLLECTOR, settings.collector.mqtt), (Role.COLLECTOR, settings.collector.state_mqtt),
        (Role.API, settings.api.mqtt), (Role.HOMEASSISTANT, settings.broker.homeassistant),
        (Role.FLEET, settings.fleet.mqtt)]
    out: dict[str, tuple[Role, Credentials]] = {}
    for role, creds in found:
        if creds is None:
            continue
        if creds.username in out:
            raise ValueError(f"login '{creds.username}' is given to two services; the broker "
                             f"allows one connection per login")
        out[creds.username] = (role, creds)
    return out


def compose_conf() -> str:
    """The broker's config inside its container: TLS only, on every interface."""
    paths = BrokerPaths(passwd=RUN / "passwd", acl=RUN / "acl", data=DATA,
                        certfile=RUN / "server.crt", keyfile=RUN / "server.key")
    return mosquitto_conf([Listener(TLS_PORT, tls=True)], paths, log_dest="stdout")


def _simulator_logins(path: Path) -> dict[str, str]:
    out = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        user, sep, password = line.partition(":")
        if not sep or not user or not password:
            raise ValueError(f"{path}:{n}: expected node:password")
        out[user] = mosquitto_hash(password)
    return out


def node_hashes(inputs: RenderInputs) -> dict[str, str]:
    """Every node login, hashed: provisioned ones and, if any, simulated ones."""
    hashed = read_passwd(inputs.node_logins)
    if inputs.simulator_logins is not None and inputs.simulator_logins.exists():
        hashed.update(_simulator_logins(inputs.simulator_logins))
    return hashed


def render_api_logins(inputs: RenderInputs, out: Path, uid: int | None = None) -> Path:
    """Write the node logins the API checks downloads against: `out`/nodes.passwd,
    owner-only and owned by the API's user (the secrets directory is not the API's)."""
    path = write_passwd(private_dir(out) / "nodes.passwd", node_hashes(inputs))
    if uid is not None:
        for p in (out, path):
            os.chown(p, uid, -1)
    return path


def render_broker(settings: Settings, layout: Layout, inputs: RenderInputs, out: Path) -> None:
    """Write mosquitto.conf, acl, passwd, server.crt and server.key into `out`."""
    private_dir(out)
    services = service_logins(settings)
    hashed = node_hashes(inputs)
    nodes = sorted(hashed)
    hashed.update({u: mosquitto_hash(c.password.get_secret_value())
                   for u, (_r, c) in services.items()})
    roles = {u: r for u, (r, _c) in services.items()}
    node_ids = sorted({*nodes, *(n.id for n in layout.nodes)})
    write_private(out / "acl", acl(layout.site.id, roles, node_ids, settings.collector.ha_prefix))
    write_passwd(out / "passwd", hashed)
    write_private(out / "mosquitto.conf", compose_conf())
    for src, name in ((inputs.tls.server_crt, "server.crt"),
                      (inputs.tls.server_key, "server.key")):
        if not src.exists():
            raise FileNotFoundError(f"{src}: no server certificate; run "
                                    f"`hubsense tls init --host <the hub's name>` first")
        shutil.copyfile(src, out / name)
        (out / name).chmod(0o600)
