"""`hubsense up`: the whole stack on one machine, as child processes, for a demo.

Mosquitto and InfluxDB get project-local config and data under the work
directory; the collector, the API and simulated MicroPython nodes follow.
Ctrl-C (or SIGTERM) stops everything in reverse order and leaves nothing behind.
"""

from __future__ import annotations

import signal
import sys
import time
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import tomlkit

from deploy.provision import NodeKeys
from devstack.influxdb import InfluxDB
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.processes import Child, StackError, require_free, venv_tool, wait_until
from hubsense.accounts import Accounts, Role
from hubsense.files import private_dir, write_private
from hubsense.influx import InfluxV1
from hubsense.layout import Layout, load_layout
from hubsense.passwords import new_secret
from hubsense.settings import InfluxSettings, Settings, load_settings

if TYPE_CHECKING:
    from devstack.history import Plan

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
    history_weeks: int = 0  # 0: none; the demo writes 8 (devstack/history.py)


# The keys `hubsense up` owns in its settings file; every other key there is the
# user's, and survives each start.
def write_service_config(path: Path, opts: StackOptions, users: BrokerUsers, influx_url: str,
                         staff_token: str, layout: Path, earlier: list[Path],
                         holidays: list[str]) -> Path:
    """Write (or update in place) the TOML every service reads."""
    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else _new_doc()
    doc["layout"] = str(layout.resolve())
    _table(doc, "mqtt").update({"host": HOST, "port": opts.mqtt_port})
    _table(doc, "influx").update({"url": influx_url, "database": "hubsense"})
    collector = _table(doc, "collector")
    collector["spool_dir"] = str(opts.workdir / "spool")
    api = _table(doc, "api")
    api.update({"host": HOST, "port": opts.api_port})
    fleet = _table(doc, "fleet")
    for table, user in ((collector, "collector"), (api, "api"),
                        (_table(doc, "broker"), "homeassistant"), (fleet, "fleet")):
        key = "homeassistant" if user == "homeassistant" else "mqtt"
        table[key] = {"username": user, "password": users.passwords[user]}
    # `hubsense node add --sim` against this stack: its broker is reloaded by SIGHUP,
    # nodes download updates from its API (plain HTTP on loopback, as its MQTT is).
    w = opts.workdir
    fleet.update({"node_logins": str(w / "fleet" / "nodes.passwd"),
                  "node_keys": str(w / "fleet" / "node-keys.json"),
                  "wifi_file": str(w / "fleet" / "wifi.json"),
                  "bundles_dir": str(w / "fleet" / "bundles"),
                  "releases_dir": str(w / "releases"), "broker_dir": str(w / "mosquitto"),
                  "api_url": f"http://{HOST}:{opts.api_port}"})
    tokens = api.setdefault("tokens", tomlkit.aot())
    demo = {"name": "demo", "token": staff_token,
            "scopes": ["nodes:read", "reports:read", "events:write"]}
    mine = [i for i, t in enumerate(tokens) if t.get("name") == "demo"]
    if mine:
        tokens[mine[0]] = demo
    else:
        tokens.append(demo)
    console = _table(doc, "console")
    if "users_file" not in console:  # a user's own accounts file stays theirs
        console["users_file"] = str(opts.workdir / "staff-users.json")
    report = _table(doc, "report")
    if earlier:
        report["earlier_layouts"] = [str(p.resolve()) for p in earlier]
    if holidays:
        report["holidays"] = sorted({*(str(d) for d in report.get("holidays", [])), *holidays})
    write_private(path, tomlkit.dumps(doc))
    return path


def _new_doc() -> tomlkit.TOMLDocument:
    doc = tomlkit.document()
    doc.add(tomlkit.comment("Settings of `hubsense up`. Edit freely: each start updates only "
                            "the ports, logins, layout and"))
    doc.add(tomlkit.comment("the demo's token it makes, and keeps everything else "
                            "(README: Configuration)."))
    return doc


def _table(doc: tomlkit.TOMLDocument, name: str) -> Any:
    if name not in doc:
        doc[name] = tomlkit.table()
    return doc[name]


def _saved(path: Path) -> tuple[dict[str, str], str | None]:
    """The service passwords and demo token of an earlier start, to keep them stable."""
    if not path.exists():
        return {}, None
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    found = {"collector": doc.get("collector", {}).get("mqtt", {}).get("password"),
             "api": doc.get("api", {}).get("mqtt", {}).get("password"),
             "homeassistant": doc.get("broker", {}).get("homeassistant", {}).get("password"),
             "fleet": doc.get("fleet", {}).get("mqtt", {}).get("password")}
    token = next((t.get("token") for t in doc.get("api", {}).get("tokens", [])
                  if t.get("name") == "demo"), None)
    return {k: v for k, v in found.items() if isinstance(v, str)}, token


DEMO_USER = "demo"


def demo_account(users_file: Path, password_file: Path) -> str:
    """The demo's staff account (every role), with the password of an earlier start if it
    still signs in; its password, kept owner-only beside the demo's other logins."""
    accounts = Accounts(users_file)
    saved = password_file.read_text().strip() if password_file.exists() else ""
    if saved and accounts.verify(DEMO_USER, saved):
        return saved
    password = new_secret()
    accounts.add(DEMO_USER, password, [Role.ADMIN], replace=True)
    write_private(password_file, password + "\n")
    return password


class Stack:
    """Starts and stops the stack's processes in dependency order."""

    def __init__(self, opts: StackOptions) -> None:
        self.opts = opts
        self.layout: Layout = load_layout(opts.layout)
        self.config = opts.workdir / "hubsense.toml"
        passwords, token = _saved(self.config)
        w = opts.workdir
        # A node provisioned here (`hubsense node add`) logs in with its own login; the
        # demo plays the others.
        self.provisioned = set(NodeKeys(w / "fleet" / "node-keys.json").load())
        self.users = BrokerUsers.for_site(
            self.layout.site.id, [n.id for n in self.layout.nodes if n.id not in self.provisioned],
            passwords=passwords)
        self.broker = Mosquitto(w / "mosquitto", opts.mqtt_port, self.users,
                                node_logins=w / "fleet" / "nodes.passwd")
        self.influx = InfluxDB(w / "influxdb", opts.influx_port, opts.influx_rpc_port)
        self.services: list[Child] = []
        self.fleet: object | None = None
        self.staff_token = token or new_secret()
        self.history: Plan | None = None
        self.demo_password = ""

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
        layout, earlier, holidays = self.opts.layout, list[Path](), list[str]()
        if self.opts.history_weeks:
            layout, earlier, holidays = self._write_history()
        conf = write_service_config(self.config, self.opts, self.users, self.influx.url,
                                    self.staff_token, layout, earlier, holidays)
        self.demo_password = demo_account(load_settings(conf).console.users_file,
                                          self.opts.workdir / "demo-staff-password")
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

    def _write_history(self) -> tuple[Path, list[Path], list[str]]:
        """Weeks of a hub in a fresh database, through the collector's own code; the two
        layout versions they span, as files the services read."""
        from devstack.history import plan, write_history, write_layouts

        tz = ZoneInfo(self.layout.site.timezone)
        p = self.history = plan(self.layout, datetime.now(tz), self.opts.history_weeks)
        current, earlier = write_layouts(p, self.opts.workdir / "layouts")
        print(f"writing {self.opts.history_weeks} weeks of history through the collector's "
              "code…", flush=True)
        settings = Settings(influx=InfluxSettings(url=self.influx.url))
        with InfluxV1(settings.influx) as db:
            db.execute('DROP DATABASE "hubsense"')  # the demo's data is the demo's own
            stats = write_history(db, settings, p)
        print(f"  {stats.points:,} points from {stats.messages:,} messages, rolled up, in "
              f"{stats.seconds:.0f} s", flush=True)
        return current, [earlier], [str(d) for d in p.holidays]

    def _start_nodes(self) -> object:
        from devstack.nodes import start_demo_fleet

        layout = self.history.current if self.history else self.layout
        played = Layout.model_validate({**layout.model_dump(), "nodes": [
            n.model_dump() for n in layout.nodes if n.id not in self.provisioned]})
        return start_demo_fleet(played, self.opts.workdir / "nodes", HOST,
                                self.opts.mqtt_port, self.users.passwords)

    def hand_over(self) -> list[str]:
        """Stop playing the nodes `hubsense node add` provisioned since the start: they are
        the user's now, and their player would only retry a login that no longer holds."""
        from devstack.nodes import Fleet

        if not isinstance(self.fleet, Fleet):
            return []
        try:
            provisioned = set(NodeKeys(self.opts.workdir / "fleet" / "node-keys.json").load())
        except (OSError, ValueError):
            return []  # being written: next time
        taken = sorted(provisioned & set(self.fleet.nodes))
        for node_id in taken:
            self.fleet.retire(node_id)
        return taken

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


def _history_lines(p: Plan, weeks: int, report: str, config: str) -> tuple[str, str]:
    """The banner's story of the history, and report commands that show it."""
    first, last = p.start.date(), p.end.date()
    story = (f"\n  history          {weeks} weeks from {first}: layout v{p.earlier.version} to "
             f"v{p.current.version} on {p.change} ({p.changed_zone}: new capacity),"
             f"\n                   {len(p.calendar.events)} events, holiday {p.holidays[0]}, "
             f"nodes off {p.outage.start:%Y-%m-%d %H:%M} to {p.outage.end:%H:%M}")
    pad = "\n" + " " * 19
    reports = (f"{report} visits {config} --from {first} --to {last} --by week"
               f"{pad}{report} compare {config} --versions {p.earlier.version} "
               f"{p.current.version}"
               f"{pad}{report} events {config} --from {first} --to {last}")
    return story, reports


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
        h = f"{_command()} report"
        c = f"-c {o.workdir}/hubsense.toml"
        if stack.history is not None:
            story, reports = _history_lines(stack.history, o.history_weeks, h, c)
        else:
            story = ""
            reports = f"{h} visits {c} --month {time.strftime('%Y-%m')}"
        print(f"""
hubsense is running{story}
  visitor screen   http://{HOST}:{o.api_port}/
  staff console    http://{HOST}:{o.api_port}/staff
                   user {DEMO_USER}, password {stack.demo_password}
  zones API        http://{HOST}:{o.api_port}/api/v1/zones
  staff API token  {stack.staff_token}
                   e.g. curl -H "Authorization: Bearer {stack.staff_token}" {url}/api/v1/nodes
  reports          {reports}
  MQTT broker      {HOST}:{o.mqtt_port}  (logins: {o.workdir}/hubsense.toml)
  fleet            {_command()} node add desk-q1 --sim {o.workdir}/desk-q1.inputs {c}
                   takes desk-q1 over from the demo and prints how to run its bundle; then
                   {_command()} ota release {c}, ota offer 1 desk-q1 {c},
                   ota status {c}: the console's Nodes page follows the update
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
            for node_id in stack.hand_over():
                print(f"{node_id} is provisioned now: the demo stops playing it", flush=True)
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
