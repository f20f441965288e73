"""`hubsense tls …`, `hubsense secrets …` and `hubsense broker render`: setting up a site.

docs/deploy.md walks through them in order; docs/security.md says why.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from cli.exits import fixable
from cli.fleet import apply_logins
from deploy.backup import BackupError, backup, restore
from deploy.certs import CertError, TlsFiles, create_ca, expires, issue_server_cert, server_names
from deploy.compose import RenderInputs, render_api_logins, render_broker
from hubsense.files import write_private
from hubsense.layout import load_layout
from hubsense.passwords import MIN_PASSWORD, MIN_TOKEN, check_secret, new_secret
from hubsense.settings import load_settings

# docker-compose's secrets (deploy/.env.example): the name, and the shortest it may be.
ENV_SECRETS = {
    "COLLECTOR_MQTT_PASSWORD": MIN_PASSWORD, "API_MQTT_PASSWORD": MIN_PASSWORD,
    "HOMEASSISTANT_MQTT_PASSWORD": MIN_PASSWORD, "FLEET_MQTT_PASSWORD": MIN_PASSWORD,
    "INFLUXDB_ADMIN_PASSWORD": MIN_PASSWORD,
    "INFLUXDB_PASSWORD": MIN_PASSWORD, "INFLUXDB_GRAFANA_PASSWORD": MIN_PASSWORD,
    "GRAFANA_ADMIN_PASSWORD": MIN_PASSWORD, "FACILITY_API_TOKEN": MIN_TOKEN,
    "HUB_TEAM_API_TOKEN": MIN_TOKEN,
}
_ENV_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def _tls_init(args: argparse.Namespace) -> int:
    files = TlsFiles(Path(args.dir))
    if not files.ca_key.exists():
        create_ca(files, args.site)
        print(f"site CA made: {files.ca_crt} (nodes get {files.ca_der}); keep {files.ca_key} "
              f"safe and offline once the certificates are made")
    cert = issue_server_cert(files, args.host)
    print(f"server certificate for {', '.join(server_names(files))}, valid until "
          f"{cert.not_valid_after_utc:%Y-%m-%d}: {files.server_crt}")
    return 0


def _tls_renew(args: argparse.Namespace) -> int:
    files = TlsFiles(Path(args.dir))
    names = args.host or server_names(files)
    cert = issue_server_cert(files, names)
    print(f"renewed {files.server_crt} until {cert.not_valid_after_utc:%Y-%m-%d}; restart the "
          f"broker and the proxy to use it (nodes need nothing: they trust the CA)")
    return 0


def _tls_show(args: argparse.Namespace) -> int:
    files = TlsFiles(Path(args.dir))
    print(f"site CA      {files.ca_crt}  valid until {expires(files.ca_crt):%Y-%m-%d}")
    print(f"server cert  {files.server_crt}  valid until {expires(files.server_crt):%Y-%m-%d}")
    print(f"  names      {', '.join(server_names(files))}")
    return 0


def read_env(path: Path) -> dict[str, str]:
    """KEY=value lines of a docker-compose .env file (comments and blanks skipped)."""
    out = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            m = _ENV_LINE.match(line.strip())
            if m:
                out[m[1]] = m[2]
    return out


def _secrets_env(args: argparse.Namespace) -> int:
    """Fill every empty secret of the .env file with a new one; keep those already set."""
    path = Path(args.env)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    have = read_env(path)
    made = []
    out = []
    for line in lines:
        m = _ENV_LINE.match(line.strip())
        if m and m[1] in ENV_SECRETS and not m[2]:
            line = f"{m[1]}={new_secret()}"
            made.append(m[1])
        out.append(line)
    for name in ENV_SECRETS:
        if name not in have:
            out.append(f"{name}={new_secret()}")
            made.append(name)
    write_private(path, "\n".join(out) + "\n")
    print(f"{path}: {len(made)} secrets made" + (f" ({', '.join(made)})" if made else "")
          + "; the rest kept. The file is readable by you alone; never commit it.")
    return _secrets_check(args)


def _secrets_check(args: argparse.Namespace) -> int:
    env = read_env(Path(args.env))
    bad = 0
    for name, min_length in ENV_SECRETS.items():
        try:
            if not env.get(name):
                raise ValueError("is not set")
            check_secret(env[name], min_length)
        except ValueError as exc:
            print(f"{args.env}: {name} {exc}", file=sys.stderr)
            bad += 1
    if bad:
        print(f"{args.env}: {bad} secrets to fix (`hubsense secrets env` makes new ones)",
              file=sys.stderr)
        return 2
    print(f"{args.env}: every secret is set and strong")
    return 0


def _secret(_args: argparse.Namespace) -> int:
    print(new_secret())
    return 0


def _broker_render(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    inputs = RenderInputs(TlsFiles(Path(args.tls)), Path(args.nodes),
                          Path(args.simulator) if args.simulator else None)
    render_broker(settings, load_layout(settings.layout), inputs, Path(args.out))
    print(f"broker config written to {args.out}")
    if args.api_out:
        path = render_api_logins(inputs, Path(args.api_out), args.api_uid)
        print(f"node logins for the API written to {path}")
    return 0


_run = fixable(CertError, BackupError)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tls = sub.add_parser("tls", help="the site CA and the server certificate (docs/security.md)")
    tsub = tls.add_subparsers(dest="tls_command", required=True)
    init = tsub.add_parser("init", help="make the site CA (once) and a server certificate")
    renew = tsub.add_parser("renew", help="sign a new server certificate with the site CA")
    show = tsub.add_parser("show", help="what the certificates are valid for, and until when")
    for p in (init, renew, show):
        p.add_argument("--dir", default="deploy/secrets/tls", help="the TLS directory")
    init.add_argument("--host", action="append", required=True,
                      help="a name or address nodes and browsers reach the hub by (repeat)")
    init.add_argument("--site", default="site", help="the site's id, for the CA's name")
    renew.add_argument("--host", action="append", help="names (default: the current ones)")
    init.set_defaults(fn=_run(_tls_init))
    renew.set_defaults(fn=_run(_tls_renew))
    show.set_defaults(fn=_run(_tls_show))

    sec = sub.add_parser("secrets", help="the deployment's secrets in docker-compose's .env")
    ssub = sec.add_subparsers(dest="secrets_command", required=True)
    env = ssub.add_parser("env", help="make every secret the .env file lacks (keeps the rest)")
    chk = ssub.add_parser("check", help="refuse missing, weak or placeholder secrets")
    for p in (env, chk):
        p.add_argument("--env", default=".env", help="the .env file")
    env.set_defaults(fn=_run(_secrets_env))
    chk.set_defaults(fn=_run(_secrets_check))
    one = sub.add_parser("secret", help="print one new random secret")
    one.set_defaults(fn=_secret)

    br = sub.add_parser("broker", help="the broker's files (docker-compose runs this)")
    bsub = br.add_subparsers(dest="broker_command", required=True)
    ren = bsub.add_parser("render", help="write mosquitto.conf, ACL, passwords and certificate")
    ren.add_argument("-c", "--config", help="TOML config file (or HUBSENSE_CONFIG)")
    ren.add_argument("--out", required=True, help="directory to write into")
    ren.add_argument("--tls", required=True, help="the TLS directory (server.crt, server.key)")
    ren.add_argument("--nodes", required=True, help="hashed node logins (user:$7$… lines)")
    ren.add_argument("--simulator", help="plaintext node:password lines of simulated nodes")
    ren.add_argument("--api-out", help="also write the node logins (hashed) the API checks "
                                       "nodes' downloads against into this directory")
    ren.add_argument("--api-uid", type=int, help="the API's user, who must own that copy")
    ren.set_defaults(fn=_run(_broker_render))


def _backup(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    out = Path(args.out or f"hubsense-backup-{time.strftime('%Y%m%d-%H%M%S')}.tar.gz")
    summary = backup(settings, out, config_file=Path(args.config) if args.config else None)
    print(f"{out}: {summary.total:,} points in {len(summary.points)} series, "
          f"{len(summary.files)} files; it holds secrets: keep it as you keep .env")
    return 0


def _restore(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    summary = restore(settings, Path(args.archive), force=args.force)
    print(f"restored {summary.total:,} points and {len(summary.files)} files into "
          f"{settings.influx.url} ({settings.influx.database}); run `hubsense rollup` only if "
          "the backup predates the last rollups")
    if "secrets/nodes.passwd" in summary.files:
        apply_logins(settings, "the nodes' logins hold again")
    return 0


def register_backup(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    b = sub.add_parser("backup", help="the database, every layout version, the settings, "
                                      "node logins and keys, the site CA in one archive")
    b.add_argument("-c", "--config", help="TOML config file (or HUBSENSE_CONFIG)")
    b.add_argument("--out", help="the archive (default: hubsense-backup-<time>.tar.gz)")
    b.set_defaults(fn=_run(_backup))
    r = sub.add_parser("restore", help="bring a backup into a fresh site")
    r.add_argument("archive")
    r.add_argument("-c", "--config", help="TOML config file of the site to restore into")
    r.add_argument("--force", action="store_true",
                   help="add to a database that holds data, replace differing layout files")
    r.set_defaults(fn=_run(_restore))
