"""An update's manifest: which files a release puts on one node, and the tag that
proves it came from whoever holds that node's key.

    hubsense-ota 1 <site> <node> <release> <version> <rollback_s>
    <sha256 hex> <size> <path>          one line per file
    tag <HMAC-SHA256 of every line above, hex>

Text, one line at a time, so that a node checks it from flash with a few
hundred bytes of RAM (sensors/hubsense_node/ota.py reads the same format and
applies the same path rule). The release number only grows: a node refuses
one it has, or had, so an old manifest cannot be replayed to downgrade it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from hubsense.layout import ID_RE
from hubsense.nodekey import tag

FORMAT = "hubsense-ota 1"
MAX_BYTES = 4096  # what a node downloads as a manifest at most
MAX_FILE = 131072  # a node refuses a larger file (sensors/hubsense_node/ota.py)
VERSION_RE = re.compile(r"[0-9A-Za-z.+-]{1,24}")  # as the heartbeat's fw
_PATH_RE = re.compile(r"hubsense_node/([a-z0-9_]+/)*[a-z0-9_]+\.mpy")


def allowed_path(path: str) -> bool:
    """What a release may carry: compiled firmware modules, config.json and ca.der.

    Never main.py or otaboot.mpy (the boot loader that rolls a bad release
    back), board.mpy (the board's own pins), node.key or wifi.json."""
    return path in ("config.json", "ca.der") or bool(_PATH_RE.fullmatch(path))


class ManifestError(ValueError):
    """A manifest that is malformed, not for this node and release, or wrongly tagged."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str

    @classmethod
    def of(cls, path: str, data: bytes) -> FileEntry:
        return cls(path, len(data), hashlib.sha256(data).hexdigest())

    def line(self) -> str:
        return f"{self.sha256} {self.size} {self.path}\n"


@dataclass(frozen=True)
class Manifest:
    site: str
    node: str
    release: int
    version: str
    rollback_s: int
    files: tuple[FileEntry, ...]

    def __post_init__(self) -> None:
        if not (ID_RE.fullmatch(self.site) and ID_RE.fullmatch(self.node)):
            raise ManifestError("site and node must be layout ids")
        if self.release < 1 or not VERSION_RE.fullmatch(self.version):
            raise ManifestError(f"release {self.release} / version {self.version!r}")
        if not 10 <= self.rollback_s <= 3600:
            raise ManifestError("rollback_s must be 10 … 3600")
        for f in self.files:
            if not allowed_path(f.path) or not 0 <= f.size <= MAX_FILE:
                raise ManifestError(f"a release may not carry {f.path!r} ({f.size} bytes)")

    def body(self) -> bytes:
        head = (f"{FORMAT} {self.site} {self.node} {self.release} {self.version} "
                f"{self.rollback_s}\n")
        return (head + "".join(f.line() for f in self.files)).encode()

    def signed(self, key: bytes) -> bytes:
        """The manifest as a node downloads it: the body and its tag."""
        body = self.body()
        out = body + f"tag {tag(key, body)}\n".encode()
        if len(out) > MAX_BYTES:
            raise ManifestError(f"{len(out)} bytes: a node reads {MAX_BYTES} at most")
        return out

    def entry(self, path: str) -> FileEntry | None:
        return next((f for f in self.files if f.path == path), None)


def parse(text: bytes, key: bytes | None = None) -> Manifest:
    """Read a signed manifest; with `key`, refuse it unless its tag is right."""
    try:
        lines = text.decode("ascii").splitlines()
        head, *rest = lines
        *entries, last = rest
        fmt, site, node, release, version, rollback = head.rsplit(" ", 5)
        files = []
        for line in entries:
            sha, size, path = line.split(" ")
            files.append(FileEntry(path, int(size), sha))
    except ValueError as exc:
        raise ManifestError(f"not a manifest: {exc}") from None
    if fmt != FORMAT or not last.startswith("tag "):
        raise ManifestError("not a hubsense-ota 1 manifest")
    m = Manifest(site, node, int(release), version, int(rollback), tuple(files))
    if key is not None and not hmac.compare_digest(tag(key, m.body()), last[4:]):
        raise ManifestError("the tag is wrong")
    return m


def read(path: Path, key: bytes | None = None) -> Manifest:
    return parse(path.read_bytes(), key)
