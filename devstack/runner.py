"""`hubsense up`: the whole stack on one machine, as child processes, for a demo.

Mosquitto and InfluxDB get project-local config and data under the work
directory; the collector, the API and simulated MicroPython nodes follow.
Ctrl-C (or SIGTERM) stops everything in reverse order and leaves nothing behind.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from devstack.influxdb import InfluxDB
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.processes import Child, StackError, require_free, venv_tool, wait_until
from hubsense.files import private_dir, write_private
from hubsense.layout import Layout, load_layout
from hubsense.passwords import new_secret

HOST = "127.0.0.1"


@dataclass
class StackOptions:
    workdir: Path
    layout: Path
    mqtt_port: int = 1883
    influx_port: int = 8086
    influx_rpc_port: int = 8088
    api_port: int = 8000
    nodes: bool = True
    duration_s: float | None = None


def write_service_config(opts: StackOptions, users: BrokerUsers, influx_url: str,
                         staff_token: str) -> Path:
    """Write the TOML every service reads; secrets are this run's generated ones."""
    conf = opts.workdir / "hubsense.toml"
    write_private(conf,
        f"""# Written by `hubsense up` for this run; regenerated on every start.
layout = {json.dumps(str(opts.layout.resolve()))}

[mqtt]
host = "{HOST}"
port = {opts.mqtt_port}

[influx]
url = "{influx_url}"
database = "hubsense"

[collector]
spool_dir = {json.dumps(str(opts.workdir / "spool"))}

[collector.mqtt]
username = "collector"
password = "{users.passwords['collector']}"

[api]
host = "{HOST}"
port = {opts.api_port}

[api.mqtt]
username = "api"
password = "{users.passwords['api']}"

# Home Assistant's read-only login, for connecting one to the demo (docs/deploy.md).
[broker.homeassistant]
username = "homeassistant"
password = "{users.passwords['homeassistant']}"

# The demo's one staff token, with every scope.
[[api.tokens]]
name = "demo"
token = "{staff_token}"
scopes = ["nodes:read", "reports:read", "events:write"]
"""
    )
    return conf


class Stack:
    """Starts and stops the stack's processes in dependency order."""

    def __init__(self, opts: StackOptions) -> None:
        self.opts = opts
        self.layout: Layout = load_layout(opts.layout)
        self.users = BrokerUsers.for_site(self.layout.site.id, [n.id for n in self.layout.nodes])
        w = opts.workdir
        self.broker = Mosquitto(w / "mosquitto", opts.mqtt_port, self.users)
        self.influx = InfluxDB(w / "influxdb", opts.influx_port, opts.influx_rpc_port)
        self.services: list[Child] = []
        self.fleet: object | None = None
        self.staff_token = new_secret()

    def check_ports(self) -> None:
        o = self.opts
        for port, what in ((o.mqtt_port, "MQTT (--mqtt-port)"),
                           (o.influx_port, "InfluxDB HTTP (--influx-port)"),
                           (o.influx_rpc_port, "InfluxDB RPC (--influx-rpc-port)"),
                           (o.api_port, "API (--api-port)")):
            require_free(HOST, port, what)

    def start(self) -> None:
        self.check_ports()
        private_dir(self.opts.workdir)  # logins, node configs, data: this account's alone
        self.broker.start()
        self.influx.start()
        conf = write_service_config(self.opts, self.users, self.influx.url, self.staff_token)
        logs = self.opts.workdir / "logs"
        # The rollup job keeps reports current, as its compose service does.
        for name, argv in (("collector", ["cli", "collector"]),
                           ("api", ["cli", "api"]),
                           ("rollup", ["reports.schedule", "--every", "60"])):
            child = Child(name, [sys.executable, "-m", *argv, "-c", str(conf)],
                          logs / f"{name}.log", die_with_parent=True)
            self.services.append(child.start())
        api_url = f"http://{HOST}:{self.opts.api_port}"
        api = next(c for c in self.services if c.name == "api")
        wait_until(lambda: _http_ok(f"{api_url}/api/v1/zones"), 30, "api", api.alive)
        if self.opts.nodes:
            self.fleet = self._start_nodes()

    def _start_nodes(self) -> object:
        from devstack.nodes import start_demo_fleet

        return start_demo_fleet(self.layout, self.opts.workdir / "nodes", HOST,
                                self.opts.mqtt_port, self.users.passwords)

    def dead(self) -> list[str]:
        procs = [self.broker.child, self.influx.child, *self.services]
        return [c.name for c in procs if c is not None and not c.alive()]

    def stop(self) -> None:
        if self.fleet is not None:
            self.fleet.stop()  # type: ignore[attr-defined]
        for child in reversed(self.services):
            child.stop()
        self.influx.stop()
        self.broker.stop()


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _command() -> str:
    """How to call `hubsense` from the user's shell: the venv's, else on PATH."""
    try:
        exe = Path(venv_tool("hubsense", "-e ."))
    except StackError:
        return "hubsense"
    return str(exe.relative_to(Path.cwd())) if exe.is_relative_to(Path.cwd()) else str(exe)


def run_stack(opts: StackOptions) -> int:
    """Run until Ctrl-C, SIGTERM, `duration_s`, or a process dying."""
    stack = Stack(opts)

    def _terminate(_sig: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    code = 0
    try:
        stack.start()
        o = opts
        url = f"http://{HOST}:{o.api_port}"
        month = time.strftime("%Y-%m")
        print(f"""
hubsense is running
  visitor screen   http://{HOST}:{o.api_port}/
  zones API        http://{HOST}:{o.api_port}/api/v1/zones
  staff API token  {stack.staff_token}
                   e.g. curl -H "Authorization: Bearer {stack.staff_token}" {url}/api/v1/nodes
  reports          {_command()} report visits -c {o.workdir}/hubsense.toml --month {month}
  MQTT broker      {HOST}:{o.mqtt_port}  (logins: {o.workdir}/hubsense.toml)
  InfluxDB (v1)    http://{HOST}:{o.influx_port}  database "hubsense"
  logs             {o.workdir}/
Press Ctrl-C to stop.
""", flush=True)
        deadline = None if o.duration_s is None else time.monotonic() + o.duration_s
        while deadline is None or time.monotonic() < deadline:
            dead = stack.dead()
            if dead:
                print(f"hubsense: {', '.join(dead)} stopped unexpectedly; see the logs "
                      f"in {o.workdir}", file=sys.stderr)
                code = 1
                break
            time.sleep(0.5)
    except StackError as exc:
        print(f"hubsense: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan anyone
        stack.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return code
