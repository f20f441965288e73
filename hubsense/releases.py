"""Update releases on disk: written by the fleet commands, served to nodes by the API.

    <dir>/<n>/release.json          {"release", "version", "created", "rollback_s", "nodes"}
    <dir>/<n>/files/<path>          the firmware's modules, the same for every node
    <dir>/<n>/nodes/<id>/<path>     what differs per node: config.json
    <dir>/<n>/nodes/<id>/manifest   that node's manifest, tagged with its key

Nothing here is secret (a node's config holds no password: it derives it), so
the API, which serves these files, holds no node secret either. A release is
written whole under a temporary name and renamed into place: the API never
sees half of one. Numbers only grow (hubsense/manifest.py says why).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hubsense.layout import ID_RE
from hubsense.manifest import FileEntry, Manifest, ManifestError, parse


@dataclass(frozen=True)
class ReleaseInfo:
    release: int
    version: str
    created_ms: int
    rollback_s: int
    nodes: tuple[str, ...]


class ReleaseStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def numbers(self) -> list[int]:
        if not self.root.is_dir():
            return []
        return sorted(int(p.name) for p in self.root.iterdir()
                      if p.name.isdigit() and (p / "release.json").is_file())

    def latest(self) -> int:
        """The highest release number made so far (0: none)."""
        return max(self.numbers(), default=0)

    def info(self, release: int) -> ReleaseInfo:
        raw = json.loads((self._dir(release) / "release.json").read_text(encoding="utf-8"))
        return ReleaseInfo(raw["release"], raw["version"], raw["created_ms"], raw["rollback_s"],
                           tuple(raw["nodes"]))

    def _dir(self, release: int) -> Path:
        return self.root / str(int(release))

    def manifest(self, release: int, node: str) -> bytes | None:
        """A node's signed manifest of a release, or None if the release is not for it."""
        if not ID_RE.fullmatch(node):
            return None
        try:
            return (self._dir(release) / "nodes" / node / "manifest").read_bytes()
        except FileNotFoundError:
            return None

    def file(self, release: int, node: str, path: str) -> tuple[Path, FileEntry] | None:
        """Where the file `path` of a node's release is, if its manifest lists it."""
        text = self.manifest(release, node)
        if text is None:
            return None
        try:
            entry = parse(text).entry(path)
        except ManifestError:
            return None
        if entry is None:
            return None
        own = self._dir(release) / "nodes" / node / path
        return (own if own.is_file() else self._dir(release) / "files" / path), entry

    def firmware(self, release: int) -> dict[str, bytes]:
        """The firmware files of a release (for another release of the same firmware)."""
        base = self._dir(release) / "files"
        return {p.relative_to(base).as_posix(): p.read_bytes()
                for p in sorted(base.rglob("*")) if p.is_file()}

    def create(self, site: str, version: str, firmware: Mapping[str, bytes],
               per_node: Mapping[str, Mapping[str, bytes]], keys: Mapping[str, bytes],
               rollback_s: int) -> ReleaseInfo:
        """Write the next release: `firmware` for every node, `per_node[id]` files
        (config.json) for each, and each node's manifest tagged with `keys[id]`."""
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            release = self.latest() + 1
            tmp = self.root / f".{release}.tmp"
            try:
                tmp.mkdir()  # two writers cannot both take the same number
                break
            except FileExistsError:
                if time.time() - tmp.stat().st_mtime < 600:
                    raise ManifestError(f"release {release} is being written by someone "
                                        f"else ({tmp})") from None
                shutil.rmtree(tmp)  # left by a writer that died
        try:
            for path, data in firmware.items():
                _write(tmp / "files" / path, data)
            for node, files in per_node.items():
                entries = {p: FileEntry.of(p, d) for p, d in firmware.items()}
                for path, data in files.items():
                    _write(tmp / "nodes" / node / path, data)
                    entries[path] = FileEntry.of(path, data)
                m = Manifest(site, node, release, version, rollback_s,
                             tuple(entries[p] for p in sorted(entries)))
                _write(tmp / "nodes" / node / "manifest", m.signed(keys[node]))
            info = ReleaseInfo(release, version, int(time.time() * 1000), rollback_s,
                               tuple(sorted(per_node)))
            _write(tmp / "release.json", json.dumps(
                {"release": release, "version": version, "created_ms": info.created_ms,
                 "rollback_s": rollback_s, "nodes": list(info.nodes)}, indent=2).encode())
            os.rename(tmp, self._dir(release))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return info


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
