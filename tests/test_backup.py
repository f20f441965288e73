"""A site with history is backed up, restored into new servers, and reports the same
(real InfluxDB, the collector's own history, the report command line)."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from api.nodeauth import NodeLogins
from deploy.backup import BackupError, backup, read_manifest, restore
from deploy.certs import TlsFiles, create_ca
from deploy.provision import NodeKeys, provision
from devstack.history import plan, write_history, write_layouts
from devstack.influxdb import InfluxDB
from devstack.processes import free_port
from hubsense.accounts import Accounts, Role
from hubsense.influx import InfluxV1
from hubsense.layout import Layout, load_layout
from hubsense.settings import (
    ConsoleSettings,
    FleetSettings,
    InfluxSettings,
    ReportSettings,
    Settings,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.services

PASSPHRASE = "a bicycle in the atrium"
NOW = datetime(2026, 12, 1, 15, 7, tzinfo=ZoneInfo("Europe/Stockholm"))


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[InfluxDB, InfluxDB]]:
    a = InfluxDB(tmp_path / "a", free_port(), free_port()).start()
    b = InfluxDB(tmp_path / "b", free_port(), free_port()).start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def site(tmp_path: Path, name: str, server: InfluxDB, layout_file: Path,
         earlier: list[Path]) -> tuple[Settings, Path]:
    conf = tmp_path / f"{name}.toml"
    conf.write_text(f'layout = "{layout_file}"\n[influx]\nurl = "{server.url}"\n'
                    f"[report]\nearlier_layouts = {json.dumps([str(p) for p in earlier])}\n")
    secrets = tmp_path / name / "secrets"
    fleet = FleetSettings(node_logins=secrets / "nodes.passwd",
                          node_keys=secrets / "node-keys.json", tls_dir=secrets / "tls",
                          releases_dir=tmp_path / name / "releases")
    return Settings(layout=layout_file, influx=InfluxSettings(url=server.url),
                    report=ReportSettings(earlier_layouts=earlier), fleet=fleet,
                    console=ConsoleSettings(users_file=secrets / "staff.json")), conf


def report(conf: Path, *args: str) -> object:
    done = subprocess.run([sys.executable, "-m", "cli", "report", *args, "-c", str(conf),
                           "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_backup_and_restore_give_the_same_reports(two_servers: tuple[InfluxDB, InfluxDB],
                                                   tmp_path: Path, layout: Layout) -> None:
    a, b = two_servers
    p = plan(layout, NOW, weeks=4)
    current, earlier = write_layouts(p, tmp_path / "site-a")
    settings_a, conf_a = site(tmp_path, "a", a, current, [earlier])
    with InfluxV1(settings_a.influx) as db:
        write_history(db, settings_a, p)
    # What no command can make again: without it every node would be flashed anew.
    create_ca(TlsFiles(settings_a.fleet.tls_dir), layout.site.id)
    node = provision(settings_a, load_layout(current), "desk-q1", None)
    Accounts(settings_a.console.users_file).add("kim", PASSPHRASE, [Role.FACILITY])
    archive = tmp_path / "out" / "site.tar.gz"
    summary = backup(settings_a, archive, config_file=conf_a)
    assert archive.stat().st_mode & 0o077 == 0, "it holds secrets"
    manifest = read_manifest(archive)
    assert manifest["site"] == layout.site.id and summary.total > 10_000
    assert any(k.startswith("rollup.") for k in summary.points), "the rollups go too"

    restored_layout = tmp_path / "site-b" / "layout.yaml"
    settings_b, conf_b = site(tmp_path, "b", b, restored_layout, [])
    got = restore(settings_b, archive)
    assert got.total == summary.total
    assert (restored_layout.parent / "versions").is_dir()  # the earlier version, found alone
    fleet_a, fleet_b = settings_a.fleet, settings_b.fleet
    assert NodeLogins(fleet_b.node_logins).check("desk-q1", node.password())
    assert NodeKeys(fleet_b.node_keys).load()["desk-q1"].key == node.key
    assert Accounts(settings_b.console.users_file).verify("kim", PASSPHRASE) is not None
    for name in ("ca.key", "ca.crt", "ca.der"):
        assert (fleet_b.tls_dir / name).read_bytes() == (fleet_a.tls_dir / name).read_bytes()
    for path in (fleet_b.node_keys, fleet_b.node_logins, fleet_b.tls_dir / "ca.key",
                 settings_b.console.users_file):
        assert path.stat().st_mode & 0o077 == 0, path
    first, last = str(p.start.date()), str(p.end.date())
    for args in (("visits", "--from", first, "--to", last, "--by", "week"),
                 ("utilization", "--from", first, "--to", last),
                 ("events", "--from", first, "--to", last),
                 ("compare", "--versions", str(p.earlier.version), str(p.current.version),
                  "--days", "7")):
        assert report(conf_a, *args) == report(conf_b, *args), args
    # A second restore would mix two sites: refused.
    with pytest.raises(BackupError, match="already holds data"):
        restore(settings_b, archive)


def test_a_damaged_archive_is_refused(two_servers: tuple[InfluxDB, InfluxDB],
                                      tmp_path: Path, layout: Layout) -> None:
    a, b = two_servers
    p = plan(layout, NOW, weeks=1)
    current, earlier = write_layouts(p, tmp_path / "site-a")
    settings_a, _ = site(tmp_path, "a", a, current, [earlier])
    with InfluxV1(settings_a.influx) as db:
        db.create_database()
        db.write_lines("presence,site=x present=true 1000")
    good = tmp_path / "good.tar.gz"
    backup(settings_a, good)
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(good, "r:gz") as src, tarfile.open(bad, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m)
            body = data.read() if data else b""
            if m.name.startswith("influx/"):
                body = body.replace(b"true", b"false")
            m.size = len(body)
            dst.addfile(m, io.BytesIO(body))
    settings_b, _ = site(tmp_path, "b", b, tmp_path / "site-b" / "layout.yaml", [])
    with pytest.raises(BackupError, match="does not match the manifest"):
        restore(settings_b, bad)
    # An archive made to write outside the site, its manifest made to match: refused.
    evil = tmp_path / "evil.tar.gz"
    payload = b"not a release"
    with tarfile.open(good, "r:gz") as src, tarfile.open(evil, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m)
            body = data.read() if data else b""
            if m.name == "manifest.json":
                manifest = json.loads(body)
                manifest["sha256"]["releases/../../outside"] = hashlib.sha256(payload).hexdigest()
                body = json.dumps(manifest).encode()
            m.size = len(body)
            dst.addfile(m, io.BytesIO(body))
        m = tarfile.TarInfo("releases/../../outside")
        m.size = len(payload)
        dst.addfile(m, io.BytesIO(payload))
    with pytest.raises(BackupError, match="outside the site"):
        restore(settings_b, evil, force=True)
    assert not (settings_b.fleet.releases_dir.parent.parent / "outside").exists()
