"""`hubsense check-layout` and `hubsense layout apply`: the layout, checked and changed live."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hubsense.layout import Layout, LayoutError, lint, load_layout
from hubsense.layouts import apply
from hubsense.settings import load_settings


def changes(old: Layout, new: Layout) -> list[str]:
    """What a new version changes, in words, for the one who applies it."""
    out = []
    before, after = {z.id: z for z in old.zones}, {z.id: z for z in new.zones}
    out += [f"zone {z} added" for z in sorted(after.keys() - before.keys())]
    out += [f"zone {z} removed" for z in sorted(before.keys() - after.keys())]
    out += [f"zone {z}: capacity {before[z].capacity} -> {after[z].capacity}"
            for z in sorted(before.keys() & after.keys())
            if before[z].capacity != after[z].capacity]
    desks_a, desks_b = {d.id: d.zone for d in old.desks}, {d.id: d.zone for d in new.desks}
    out += [f"desk {d} added to {desks_b[d]}" for d in sorted(desks_b.keys() - desks_a.keys())]
    out += [f"desk {d} removed" for d in sorted(desks_a.keys() - desks_b.keys())]
    out += [f"desk {d} moved from {desks_a[d]} to {desks_b[d]}"
            for d in sorted(desks_a.keys() & desks_b.keys()) if desks_a[d] != desks_b[d]]
    nodes_a, nodes_b = {n.id for n in old.nodes}, {n.id for n in new.nodes}
    out += [f"node {n} added (give it a broker login)" for n in sorted(nodes_b - nodes_a)]
    out += [f"node {n} removed" for n in sorted(nodes_a - nodes_b)]
    return out


def _check(args: argparse.Namespace) -> int:
    layout = load_layout(args.layout)
    for warning in lint(layout):
        print(f"{args.layout}: warning: {warning}", file=sys.stderr)
    print(f"{args.layout}: ok: site {layout.site.id}, {len(layout.zones)} zones, "
          f"{len(layout.desks)} desks, {len(layout.nodes)} nodes")
    return 0


def _apply(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    current = load_layout(settings.layout)
    new = load_layout(args.file)
    effective = args.effective or datetime.now(ZoneInfo(current.site.timezone)).date()
    try:
        applied = apply(settings.layout, new, effective)
    except LayoutError as exc:
        print(f"hubsense: {exc}", file=sys.stderr)
        return 2
    for warning in lint(applied):
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    what = changes(current, applied) or ["nothing but the version"]
    print(f"{settings.layout}: version {applied.version}, in force from {effective}; version "
          f"{current.version} kept in {settings.layout.parent / 'versions'}")
    for line in what:
        print(f"  {line}")
    print("The collector, the API and the rollup job take it within "
          f"{settings.layout_watch_s:g} s, without a restart.")
    return 0


def register(sub: Any) -> None:
    chk = sub.add_parser("check-layout", help="validate a layout file")
    chk.add_argument("layout")
    chk.set_defaults(fn=_check)
    lay = sub.add_parser("layout", help="change the site's layout while everything runs")
    lsub = lay.add_subparsers(dest="layout_command", required=True)
    ap = lsub.add_parser("apply", help="make FILE the layout in force; keep the current one "
                                       "as a version for comparisons")
    ap.add_argument("file", type=Path)
    ap.add_argument("-c", "--config", help="TOML config file (or HUBSENSE_CONFIG)")
    ap.add_argument("--from", dest="effective", type=date.fromisoformat, metavar="DATE",
                    help="the day it takes effect (default: today)")
    ap.set_defaults(fn=_apply)
