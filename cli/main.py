"""The `hubsense` command line: one entry point for every service and tool."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from hubsense.layout import LayoutError
from hubsense.settings import SettingsError, load_settings


def _cmd_collector(args: argparse.Namespace) -> int:
    from collector.service import run

    run(load_settings(args.config))
    return 0


def _cmd_api(args: argparse.Namespace) -> int:
    from api.main import run

    tls = (Path(args.tls_cert), Path(args.tls_key)) if args.tls_cert and args.tls_key else None
    run(load_settings(args.config), tls)
    return 0


def _cmd_up(args: argparse.Namespace) -> int:
    from devstack.runner import StackOptions, run_stack

    return run_stack(StackOptions(
        workdir=Path(args.workdir), layout=Path(args.layout), mqtt_port=args.mqtt_port,
        influx_port=args.influx_port, influx_rpc_port=args.influx_rpc_port,
        api_port=args.api_port, nodes=not args.no_nodes, duration_s=args.duration,
        history_weeks=0 if args.no_history else args.history_weeks,
    ))


def _cmd_simulate(args: argparse.Namespace) -> int:
    from devstack.simulate import simulate

    return simulate(load_settings(args.config), Path(args.passwords), Path(args.workdir),
                    day_s=args.day, duration_s=args.duration,
                    connect_timeout_s=args.connect_timeout)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hubsense", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    for name, fn, text in (("collector", _cmd_collector, "run the MQTT-to-InfluxDB collector"),
                           ("api", _cmd_api, "run the API and the visitor screen")):
        s = sub.add_parser(name, help=text)
        s.add_argument("-c", "--config", help="TOML config file (or HUBSENSE_CONFIG)")
        s.set_defaults(fn=fn)
        if name == "api":  # deployed, the proxy speaks HTTPS in front of it (docs/deploy.md)
            s.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS itself with this "
                           "certificate (and --tls-key), as the fleet tests do")
            s.add_argument("--tls-key", metavar="PEM")

    up = sub.add_parser("up", help="run the whole stack locally as a demo (Ctrl-C stops it)")
    up.add_argument("--workdir", default=".hubsense/stack", help="config, data and logs")
    up.add_argument("--layout", default="config/layout.yaml")
    up.add_argument("--mqtt-port", type=int, default=1883)
    up.add_argument("--influx-port", type=int, default=8086)
    up.add_argument("--influx-rpc-port", type=int, default=8088)
    up.add_argument("--api-port", type=int, default=8000)
    up.add_argument("--no-nodes", action="store_true", help="no simulated MicroPython nodes")
    up.add_argument("--duration", type=float, default=None, help="stop after N seconds")
    up.add_argument("--history-weeks", type=int, default=8, choices=range(1, 53),
                    metavar="N", help="weeks of history written before the start (default 8)")
    up.add_argument("--no-history", action="store_true",
                    help="start with no history (keeps the database of an earlier run)")
    up.set_defaults(fn=_cmd_up)


    sim = sub.add_parser("simulate", help="run simulated MicroPython nodes for the layout "
                                          "against the configured broker (Ctrl-C stops)")
    sim.add_argument("-c", "--config", help="TOML config file (or HUBSENSE_CONFIG)")
    sim.add_argument("--passwords", required=True, metavar="FILE",
                     help="node logins, one node:password line each (docs/deploy.md)")
    sim.add_argument("--workdir", default=".hubsense/simulate", help="node configs and logs")
    sim.add_argument("--day", type=float, default=600.0, help="real seconds per simulated day")
    sim.add_argument("--duration", type=float, default=None, help="stop after N seconds")
    sim.add_argument("--connect-timeout", type=float, default=30.0, metavar="S",
                     help="exit 1, naming the broker, if no node has connected by then")
    sim.set_defaults(fn=_cmd_simulate)

    from cli.deploy import register as register_deploy
    from cli.deploy import register_backup
    from cli.fleet import register as register_fleet
    from cli.layout import register as register_layout
    from cli.reports import register
    from cli.users import register as register_users

    register_layout(sub)
    register(sub)
    register_deploy(sub)
    register_backup(sub)
    register_users(sub)
    register_fleet(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    try:
        code = int(args.fn(args))
        sys.stdout.flush()  # a reader gone away shows here, not at the interpreter's exit
        return code
    except (LayoutError, SettingsError) as exc:
        print(f"hubsense: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do, and keep
        # Python from failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
