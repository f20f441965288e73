"""`hubsense backup` and `restore`: a whole site in one archive, and back.

The database goes out through InfluxDB's v1 HTTP API with the services' own
login — every retention policy and measurement, as line protocol with each
field's type — rather than `influxd backup`, which needs the server's RPC port
and binary on the machine that runs it. The same archive restores into
InfluxDB 1.x, 2.x or 3.x (through their v1 API). Beside the database: every
layout version, the settings file, and the site's files that no command can
make again: node logins (hashes) and update keys, the site CA, the nodes' Wi-Fi,
staff accounts (hashes) and update releases. Without them a restored site would
have to re-flash every node.

The archive holds secrets (password hashes, keys): it is written owner-only,
and docs/deploy.md says where to keep it.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hubsense.files import private_dir, write_private
from hubsense.influx import InfluxError, InfluxV1
from hubsense.layout import load_layout
from hubsense.layouts import versions_dir
from hubsense.settings import Settings

FORMAT = 1
WEEK_NS = 7 * 86_400 * 10**9
_ESC_TAG = str.maketrans({",": r"\,", " ": r"\ ", "=": r"\="})
_ESC_STR = str.maketrans({'"': r"\"", "\\": r"\\"})
_ESC_MEAS = str.maketrans({",": r"\,", " ": r"\ "})


class BackupError(ValueError):
    """A backup or restore that cannot go on; the message says why."""


@dataclass
class Summary:
    points: dict[str, int] = field(default_factory=dict)  # "rp.measurement" -> points
    files: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.points.values())


def _q(name: str) -> str:
    return '"' + name.replace('"', r"\"") + '"'


def _value(v: Any, kind: str) -> str:
    if kind == "integer":
        return f"{int(v)}i"
    if kind == "boolean":
        return "true" if v else "false"
    if kind == "string":
        return '"' + str(v).translate(_ESC_STR) + '"'
    return repr(float(v))


def _lines(db: InfluxV1, rp: str, measurement: str) -> Iterator[str]:
    """Every point of one measurement as line protocol (ns), a week at a time."""
    source = f"{_q(rp)}.{_q(measurement)}"
    tags = {v[0] for s in db.query(f"SHOW TAG KEYS FROM {source}") for v in s.values}
    kinds = {v[0]: v[1] for s in db.query(f"SHOW FIELD KEYS FROM {source}") for v in s.values}
    first = db.query(f"SELECT * FROM {source} ORDER BY time ASC LIMIT 1", epoch="ns")
    last = db.query(f"SELECT * FROM {source} ORDER BY time DESC LIMIT 1", epoch="ns")
    if not first or not last:
        return
    start, end = int(first[0].values[0][0]), int(last[0].values[0][0])
    name = measurement.translate(_ESC_MEAS)
    while start <= end:
        rows = [r for s in db.query(f"SELECT * FROM {source} WHERE time >= $a AND time < $b",
                                    {"a": start, "b": start + WEEK_NS}, epoch="ns")
                for r in s.rows()]
        for r in rows:
            tag_part = "".join(f",{k.translate(_ESC_TAG)}={str(r[k]).translate(_ESC_TAG)}"
                               for k in sorted(tags) if r.get(k) not in (None, ""))
            fields = ",".join(f"{k.translate(_ESC_TAG)}={_value(r[k], kinds[k])}"
                              for k in sorted(kinds) if r.get(k) is not None)
            if fields:
                yield f"{name}{tag_part} {fields} {r['time']}"
        start += WEEK_NS


def _add(tar: tarfile.TarFile, name: str, data: bytes, digests: dict[str, str]) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    tar.addfile(info, io.BytesIO(data))
    digests[name] = hashlib.sha256(data).hexdigest()


def places(settings: Settings) -> dict[str, Path]:
    """Archive name -> where the site keeps it; a name ending in "/" is a directory."""
    f = settings.fleet
    return {"secrets/nodes.passwd": f.node_logins, "secrets/node-keys.json": f.node_keys,
            "secrets/wifi.json": f.wifi_file, "secrets/staff-users.json":
            settings.console.users_file, "secrets/tls/": f.tls_dir, "releases/": f.releases_dir}


def site_files(settings: Settings) -> dict[str, Path]:
    """The site's files beside the database and the layouts, those that exist."""
    files: dict[str, Path] = {}
    for name, path in places(settings).items():
        if name.endswith("/") and path.is_dir():
            files |= {name + p.relative_to(path).as_posix(): p
                      for p in sorted(path.rglob("*")) if p.is_file()}
        elif not name.endswith("/") and path.is_file():
            files[name] = path
    return files


def _site_target(settings: Settings, name: str) -> Path | None:
    for place, path in places(settings).items():
        if name == place:
            return path
        if place.endswith("/") and name.startswith(place):
            return path / name.removeprefix(place)
    return None


def backup(settings: Settings, out: Path, config_file: Path | None = None) -> Summary:
    """Write the site into `out` (.tar.gz, owner-only)."""
    summary = Summary()
    digests: dict[str, str] = {}
    private_dir(out.parent)
    tmp = out.with_name(out.name + ".tmp")
    layout = load_layout(settings.layout)
    with InfluxV1(settings.influx) as db, tarfile.open(tmp, "w:gz") as tar:
        tmp.chmod(0o600)
        rps = [v[0] for s in db.query("SHOW RETENTION POLICIES") for v in s.values]
        names = [v[0] for s in db.query("SHOW MEASUREMENTS") for v in s.values]
        for rp in rps:
            for m in names:
                lines = list(_lines(db, rp, m))
                if lines:
                    _add(tar, f"influx/{rp}/{m}.lp", "\n".join(lines).encode(), digests)
                    summary.points[f"{rp}.{m}"] = len(lines)
        files = {"layouts/layout.yaml": settings.layout}
        vdir = versions_dir(settings.layout)
        if vdir.is_dir():
            files |= {f"layouts/versions/{p.name}": p for p in sorted(vdir.glob("*.yaml"))}
        files |= {f"layouts/earlier/{i}-{p.name}": p
                  for i, p in enumerate(settings.report.earlier_layouts)}
        if config_file is not None:
            files["settings/hubsense.toml"] = config_file
        files |= site_files(settings)
        for name, path in files.items():
            _add(tar, name, path.read_bytes(), digests)
            summary.files.append(name)
        manifest = {"format": FORMAT, "created_ms": int(time.time() * 1000),
                    "site": layout.site.id, "layout_version": layout.version,
                    "database": settings.influx.database, "points": summary.points,
                    "sha256": digests}
        _add(tar, "manifest.json", json.dumps(manifest, indent=2).encode(), {})
    tmp.replace(out)
    return summary


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise BackupError(f"{archive}: no manifest.json: not a hubsense backup")
        manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: backup format {manifest.get('format')}, this hubsense "
                          f"reads {FORMAT}")
    return manifest


def restore(settings: Settings, archive: Path, force: bool = False) -> Summary:
    """Bring an archive into a fresh site: the database (refused if it holds data,
    unless `force`), the layouts beside settings.layout, and the site's files where
    its settings keep them (secrets owner-only)."""
    manifest = read_manifest(archive)
    summary = Summary()
    with InfluxV1(settings.influx) as db, tarfile.open(archive, "r:gz") as tar:
        db.create_database()
        if not force and db.query("SHOW MEASUREMENTS"):
            raise BackupError(f"database {settings.influx.database!r} already holds data: "
                              "restore into a fresh one (or --force to add to it)")
        for member in tar.getmembers():
            data = _checked(tar, member, manifest)
            if data is None:
                continue
            if member.name.startswith("influx/"):
                _, rp, fname = member.name.split("/", 2)
                _ensure_rp(db, rp)
                lines = data.decode().splitlines()
                for i in range(0, len(lines), 20_000):
                    db.write_lines("\n".join(lines[i:i + 20_000]), rp=rp, precision="ns")
                summary.points[f"{rp}.{fname.removesuffix('.lp')}"] = len(lines)
            elif member.name.startswith("layouts/"):
                target = _layout_target(settings, member.name)
                if target is not None:
                    _write(target, data, force)
                    summary.files.append(member.name)
            elif (target := _site_target(settings, member.name)) is not None:
                _write(target, data, force, private=member.name.startswith("secrets/"))
                summary.files.append(member.name)
    load_layout(settings.layout)  # what was restored must load
    return summary


def _checked(tar: tarfile.TarFile, member: tarfile.TarInfo,
             manifest: dict[str, Any]) -> bytes | None:
    if member.name == "manifest.json" or not member.isfile():
        return None
    if member.name.startswith("/") or ".." in member.name.split("/"):
        raise BackupError(f"{member.name}: a path outside the site: the archive was changed")
    f = tar.extractfile(member)
    assert f is not None
    data = f.read()
    want = manifest["sha256"].get(member.name)
    if want is None or hashlib.sha256(data).hexdigest() != want:
        raise BackupError(f"{member.name}: does not match the manifest: the archive is damaged "
                          "or was changed")
    return data


def _ensure_rp(db: InfluxV1, rp: str) -> None:
    have = {v[0] for s in db.query("SHOW RETENTION POLICIES") for v in s.values}
    if rp not in have:
        try:
            db.execute(f"CREATE RETENTION POLICY {_q(rp)} ON {_q(db.cfg.database)} "
                       "DURATION INF REPLICATION 1 SHARD DURATION 520w")
        except InfluxError as exc:
            raise BackupError(f"retention policy {rp!r} is missing and this login may not "
                              f"create it ({exc}): an InfluxDB admin creates it first") from None


def _layout_target(settings: Settings, name: str) -> Path | None:
    if name == "layouts/layout.yaml":
        return settings.layout
    for prefix in ("layouts/versions/", "layouts/earlier/"):
        if name.startswith(prefix):  # earlier versions: found there by themselves
            return versions_dir(settings.layout) / name.removeprefix(prefix)
    return None


def _write(target: Path, data: bytes, force: bool, private: bool = False) -> None:
    if target.exists() and not force and target.read_bytes() != data:
        raise BackupError(f"{target} exists and differs from the backup's (--force replaces it)")
    if private:
        write_private(target, data)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
