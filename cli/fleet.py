"""`hubsense node …` and `hubsense ota …`: provisioning nodes and updating them over the air.

docs/deploy.md walks through them; docs/security.md says who may do what.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from cli.exits import fixable
from deploy.firmware import FirmwareError, host_arch
from deploy.offers import BrokerError, FleetLink
from deploy.provision import (
    NodeKeys,
    NodeSecret,
    ProvisionError,
    build_bundle,
    forget,
    layout_node,
    provision,
    reload_broker,
    write_logins,
)
from deploy.releases import build_release
from hubsense.contract import UpdateState
from hubsense.layout import Layout, load_layout
from hubsense.releases import ReleaseStore
from hubsense.settings import Settings, SettingsError, load_settings
from hubsense.state import NodeHealth


def _load(args: argparse.Namespace) -> tuple[Settings, Layout]:
    settings = load_settings(args.config)
    return settings, load_layout(settings.layout)


def apply_logins(settings: Settings, what: str) -> None:
    """Make the broker take the node logins now, or say exactly how."""
    steps = reload_broker(settings)
    if not steps:
        print(f"  broker       reloaded (SIGHUP, no restart): {what}")
        return
    print(f"  broker       {what} once you run, on the docker-compose host:")
    for step in steps:
        print(f"                 {step}")


def _node_add(args: argparse.Namespace) -> int:
    settings, layout = _load(args)
    node = layout_node(layout, args.id, args.kind)
    sim = str(Path(args.sim).resolve()) if args.sim else None
    secret = provision(settings, layout, node.id, args.kind, sim)
    targets = ", ".join(i.desk or i.zone or "" for i in node.inputs)
    print(f"{node.id}: a {node.kind.value} node, {len(node.inputs)} input(s) observing "
          f"{targets} (from the layout)")
    print(f"  login        made, hashed, in {settings.fleet.node_logins}; its key in "
          f"{settings.fleet.node_keys}")
    apply_logins(settings, f"it takes {node.id}")
    return _bundle(settings, layout, node.id, secret, args)


def _bundle(settings: Settings, layout: Layout, node_id: str, secret: NodeSecret,
            args: argparse.Namespace) -> int:
    # A node for the unix port runs this machine's native code; a board, fleet.arch's.
    arch = host_arch() if secret.sim_file else settings.fleet.arch
    bundle = build_bundle(settings, layout, node_id, secret, arch)
    print(f"  bundle       {bundle.dir} (firmware {bundle.version}, config.json from the "
          f"layout{', the site CA' if settings.mqtt.tls else ''}, node.key"
          f"{'' if secret.sim_file else ', wifi.json'})")
    if secret.sim_file:
        from devstack.nodes import micropython_exe

        print(f"  run it       cd {bundle.dir} && while MICROPYPATH=.frozen "
              f"{micropython_exe()} -m main; [ $? = 3 ]; do :; done")
        print("               (the unix port: exit status 3 is the board's reset, and the "
              "loop boots it again)")
        print(f"  its sensors  lines `N=value` in {secret.sim_file}, e.g. `1=1`: input 1 "
              "sees someone (0: no one; a count, dB(A), or `in,out` totals by its kind)")
    else:
        print(f"  flash it     {bundle.mpremote(args.port)}")
        print("               (in the bundle's directory, the board on USB with MicroPython "
              "1.29 or later; erase its file system first if it ran hubsense before)")
    return 0


def _node_bundle(args: argparse.Namespace) -> int:
    settings, layout = _load(args)
    keys = NodeKeys(settings.fleet.node_keys).load()
    if args.id not in keys:
        raise ProvisionError(f"node '{args.id}' is not provisioned: hubsense node add {args.id}")
    layout_node(layout, args.id)
    print(f"{args.id}: bundle made again with its key and its current password rotation")
    return _bundle(settings, layout, args.id, keys[args.id], args)


def _node_remove(args: argparse.Namespace) -> int:
    settings, layout = _load(args)
    if args.id in NodeKeys(settings.fleet.node_keys).load():
        forget(settings, args.id)
        print(f"{args.id}: key, login and bundle removed")
        apply_logins(settings, f"it refuses {args.id} (and drops its connection)")
        time.sleep(0.5)  # the broker drops it first, then its retained status is cleared
    else:
        print(f"{args.id}: not provisioned (any more)")
    try:
        with FleetLink(settings, layout.site.id) as link:
            link.clear(args.id)
        print(f"  retained     {args.id}'s status and update offer cleared")
    except (BrokerError, SettingsError) as exc:
        print(f"hubsense: its retained topics are not cleared: {exc}", file=sys.stderr)
        return 1
    return 0


def _node_list(args: argparse.Namespace) -> int:
    settings, layout = _load(args)
    keys = NodeKeys(settings.fleet.node_keys).load()
    print(f"{'node':<12} {'kind':<9} {'inputs':>6}  {'provisioned':<11} rotation")
    for node in layout.nodes:
        s = keys.get(node.id)
        rot = "" if s is None else str(s.broker_rotation) + (
            f" (rotating to {s.node_rotation})" if s.node_rotation != s.broker_rotation else "")
        print(f"{node.id:<12} {node.kind.value:<9} {len(node.inputs):>6}  "
              f"{'yes' if s else 'no':<11} {rot}")
    stray = sorted(set(keys) - {n.id for n in layout.nodes})
    if stray:
        print(f"provisioned but not in the layout: {', '.join(stray)} (hubsense node remove)")
    return 0


def _wait_release(link: FleetLink, node: str, release: int, timeout: float) -> NodeHealth | None:
    """Until the node runs `release` (or says it will not); None at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        h = link.nodes(0.5).get(node)
        if h is not None and (h.release == release or (h.update is not None and
                              h.update.release == release and h.update.state in _FINAL)):
            return h
        time.sleep(1.0)
    return None


_FINAL = (UpdateState.ONLINE, UpdateState.REFUSED, UpdateState.FAILED, UpdateState.ROLLED_BACK)


def _node_rotate(args: argparse.Namespace) -> int:
    """A new password: to the node first (over the air), then to the broker."""
    settings, layout = _load(args)
    layout_node(layout, args.id)
    store = NodeKeys(settings.fleet.node_keys)
    keys = store.load()
    s = keys.get(args.id)
    if s is None:
        raise ProvisionError(f"node '{args.id}' is not provisioned")
    if s.node_rotation == s.broker_rotation:
        keys[args.id] = s = replace(s, node_rotation=s.broker_rotation + 1)
        store.save(keys)
    with FleetLink(settings, layout.site.id) as link:
        running = link.nodes().get(args.id)
        same = running.release if running is not None and running.release else None
        info = build_release(settings, layout, [args.id], same_as=same, keys=keys)
        link.offer([args.id], info.release, info.version)
        print(f"{args.id}: password rotation {s.node_rotation} goes over the air first, in "
              f"release {info.release} (its config only); waiting up to {args.wait:g} s for "
              f"the node to run it…", flush=True)
        h = _wait_release(link, args.id, info.release, args.wait)
    if h is None or h.release != info.release:
        state = "no answer" if h is None or h.update is None else h.update.state.value
        print(f"hubsense: {args.id} does not run release {info.release} ({state}); the broker "
              f"keeps its password, so the node keeps its way in. Run this again when it is "
              f"online.", file=sys.stderr)
        return 1
    keys[args.id] = s = replace(s, broker_rotation=s.node_rotation)
    store.save(keys)
    write_logins(settings.fleet.node_logins, keys)
    print(f"  node         runs release {info.release}: it knows rotation {s.node_rotation} "
          f"(and the previous one, until the broker changes)")
    apply_logins(settings,
                 f"it takes only rotation {s.node_rotation} (the node reconnects with it)")
    return 0


def _ota_release(args: argparse.Namespace) -> int:
    settings, layout = _load(args)
    info = build_release(settings, layout, args.node or None,
                         source=Path(args.source) if args.source else None,
                         same_as=args.same_as)
    print(f"release {info.release}: firmware {info.version} for {', '.join(info.nodes)} "
          f"(config.json from the layout as it is now; each manifest tagged with the node's key)")
    print(f"  offer it to one node first:  hubsense ota offer {info.release} {info.nodes[0]}")
    print(f"  then to the rest:            hubsense ota offer {info.release} --rest")
    return 0


def _ota_offer(args: argparse.Namespace) -> int:
    settings, layout = _load(args)
    store = ReleaseStore(settings.fleet.releases_dir)
    if args.release not in store.numbers():
        raise ProvisionError(f"no release {args.release} in {store.root}")
    info = store.info(args.release)
    with FleetLink(settings, layout.site.id) as link:
        states = link.nodes()
        offered = [n for n in info.nodes if (h := states.get(n)) is not None
                   and h.update is not None and h.update.release == args.release]
        if args.rest:
            late = [n for n in offered if states[n].release != args.release]
            if not offered and not args.force:
                raise ProvisionError(f"release {args.release} is offered to no node yet: offer "
                                     f"it to one first (hubsense ota offer {args.release} "
                                     f"{info.nodes[0]})")
            if late and not args.force:
                raise ProvisionError(
                    f"not online on release {args.release} yet: {', '.join(late)} "
                    f"({', '.join(_state(states[n]) for n in late)}); wait, or --force")
            nodes = [n for n in info.nodes if n not in offered]
        else:
            nodes = args.nodes
            stray = sorted(set(nodes) - set(info.nodes))
            if not nodes or stray:
                raise ProvisionError(f"release {args.release} is for {', '.join(info.nodes)}; "
                                     f"name some of them, or --rest")
        link.offer(nodes, args.release, info.version)
    print(f"release {args.release} ({info.version}) offered to {', '.join(nodes) or 'nobody'}; "
          f"hubsense ota status shows how it goes")
    return 0


def _state(h: NodeHealth) -> str:
    u = h.update
    if u is None:
        return "-"
    return f"{u.state.value}{f' ({u.why})' if u.why else ''}"


def _ota_status(args: argparse.Namespace) -> int:
    settings, layout = _load(args)
    with FleetLink(settings, layout.site.id) as link:
        states = link.nodes()
    print(f"{'node':<12} {'online':<6} {'fw':<10} {'release':>7}  {'update':<8} state")
    for node in layout.nodes:
        h = states.get(node.id)
        if h is None:
            print(f"{node.id:<12} {'?':<6}")
            continue
        u = h.update
        if args.release is not None and (u is None or u.release != args.release):
            continue
        when = ("" if u is None else
                datetime.fromtimestamp(u.at_ms / 1000, UTC).strftime(" since %Y-%m-%d %H:%M:%S"))
        print(f"{node.id:<12} {'yes' if h.online else 'no':<6} {h.fw or '-':<10} "
              f"{'-' if h.release is None else h.release:>7}  "
              f"{'-' if u is None else u.release:<8} {_state(h)}{when}")
    return 0


_run = fixable(FirmwareError, BrokerError)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    node = sub.add_parser("node", help="provision nodes: logins, keys, configs, bundles")
    nsub = node.add_subparsers(dest="node_command", required=True)
    add = nsub.add_parser("add", help="give a node of the layout its login and key, and build "
                                      "its flashable bundle")
    bundle = nsub.add_parser("bundle", help="build a provisioned node's bundle again")
    for p in (add, bundle):
        p.add_argument("id", help="the node's id in the layout")
        p.add_argument("--port", default="/dev/ttyUSB0", help="the board's serial port, for "
                                                              "the printed mpremote command")
    add.add_argument("--kind", choices=["desk", "buzz", "meeting", "entrance"],
                     help="refused unless the layout says the same")
    add.add_argument("--sim", metavar="FILE", help="for the MicroPython unix port: sensors "
                                                   "simulated from FILE, no Wi-Fi")
    rm = nsub.add_parser("remove", help="revoke a node: login, key, retained topics")
    rot = nsub.add_parser("rotate", help="change a node's password: over the air to it "
                                         "first, then on the broker")
    rot.add_argument("--wait", type=float, default=300.0, metavar="S",
                     help="how long to wait for the node to take it (default 300 s)")
    for p in (rm, rot):
        p.add_argument("id")
    ls = nsub.add_parser("list", help="the layout's nodes and which are provisioned")
    for p, fn in ((add, _node_add), (bundle, _node_bundle), (rm, _node_remove),
                  (rot, _node_rotate), (ls, _node_list)):
        p.add_argument("-c", "--config", help="TOML config file (or HUBSENSE_CONFIG)")
        p.set_defaults(fn=_run(fn))

    ota = sub.add_parser("ota", help="update nodes over the air: releases, offers, status")
    osub = ota.add_subparsers(dest="ota_command", required=True)
    rel = osub.add_parser("release", help="make a release: this firmware, and each node's "
                                          "config from the layout as it is now")
    rel.add_argument("--node", action="append", help="only these nodes (repeat; default: "
                                                     "every provisioned node)")
    rel.add_argument("--source", help="the firmware's source tree (default: this "
                                      "installation's sensors/)")
    rel.add_argument("--same-as", type=int, metavar="N", help="the firmware of release N: a "
                                                              "change of config alone")
    off = osub.add_parser("offer", help="offer a release to nodes: one first, then --rest")
    off.add_argument("release", type=int)
    off.add_argument("nodes", nargs="*")
    off.add_argument("--rest", action="store_true", help="every other node of the release, "
                     "once the nodes it was offered to run it")
    off.add_argument("--force", action="store_true", help="--rest even before that")
    st = osub.add_parser("status", help="each node's release and how its update goes")
    st.add_argument("release", type=int, nargs="?", help="only the nodes offered this release")
    for p, fn in ((rel, _ota_release), (off, _ota_offer), (st, _ota_status)):
        p.add_argument("-c", "--config", help="TOML config file (or HUBSENSE_CONFIG)")
        p.set_defaults(fn=_run(fn))
