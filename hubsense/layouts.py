"""Where a site's layout and its earlier versions live, and how a new one is applied.

The layout file (`layout` in the settings) is the one in force. Applying a new
one (`hubsense layout apply`) keeps the one it replaces as a version file in
`versions/` beside it, dated by its `effective_from`, and writes the new one
with the next version number and the day it takes effect; so comparisons
(`report compare --versions`) find every earlier version by themselves. The
services notice the file changed (`LayoutWatch`) and take it without a
restart.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import yaml

from hubsense.layout import Layout, LayoutError, load_layout

log = logging.getLogger(__name__)

VERSIONS_DIR = "versions"


def versions_dir(layout_path: Path) -> Path:
    return layout_path.parent / VERSIONS_DIR


def earlier_paths(layout_path: Path, listed: list[Path]) -> list[Path]:
    """The files of the earlier versions: those the settings list, and every file the
    applies kept beside the layout (`versions/*.yaml`), each once."""
    found = sorted(versions_dir(layout_path).glob("*.yaml")) \
        if versions_dir(layout_path).is_dir() else []
    out: list[Path] = []
    seen: set[Path] = set()
    for p in [*listed, *found]:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _dump(layout: Layout) -> str:
    return yaml.safe_dump(layout.model_dump(mode="json", exclude_none=True), sort_keys=False,
                          allow_unicode=True)


def apply(layout_path: Path, new: Layout, effective: date) -> Layout:
    """Make `new` the layout in force from `effective`: the current one is kept as a
    version file, the new one gets the next version. Returns what was written."""
    current = load_layout(layout_path)
    if new.site.id != current.site.id:
        raise LayoutError(f"site.id: {new.site.id!r} is not this site's {current.site.id!r}")
    if current.effective_from is not None and effective <= current.effective_from:
        raise LayoutError(f"effective_from: {effective} is not after the current version's "
                          f"{current.effective_from}")
    kept = current if current.effective_from is not None else current.model_copy(
        update={"effective_from": date.min})
    applied = new.model_copy(update={"version": current.version + 1,
                                     "effective_from": effective})
    folder = versions_dir(layout_path)
    folder.mkdir(parents=True, exist_ok=True)
    archived = folder / f"layout-v{kept.version}.yaml"
    archived.write_text(f"# Version {kept.version}, in force until {effective}.\n"
                        + _dump(kept), encoding="utf-8")
    load_layout(archived)
    tmp = layout_path.with_name(layout_path.name + ".tmp")
    tmp.write_text(f"# Version {applied.version}, applied with `hubsense layout apply`.\n"
                   + _dump(applied), encoding="utf-8")
    load_layout(tmp)  # what the services will read must load
    os.replace(tmp, layout_path)  # atomic: a service never reads half a layout
    return applied


class LayoutWatch:
    """Notice the layout file change and hand the new layout on; a bad one is logged
    and the old one kept (the service goes on with what it has)."""

    def __init__(self, path: Path, on_change: Callable[[Layout], None],
                 poll_s: float = 2.0) -> None:
        self.path = path
        self._on_change = on_change
        self.poll_s = poll_s
        self._seen = self._fingerprint()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="layout-watch", daemon=True)
        self.errors = 0

    def _fingerprint(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None

    def start(self) -> LayoutWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(5)

    def check(self) -> bool:
        """Look once; True if a new layout was taken."""
        seen = self._fingerprint()
        if seen is None or seen == self._seen:
            return False
        self._seen = seen
        try:
            layout = load_layout(self.path)
        except LayoutError as exc:
            self.errors += 1
            log.error("the changed layout is not used, the running one is kept:\n%s", exc)
            return False
        log.info("layout version %d (%s) taken", layout.version, self.path)
        self._on_change(layout)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.check()
            except Exception:  # watching must never stop the service
                log.exception("layout watch failed")
