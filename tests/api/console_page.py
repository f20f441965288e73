"""What the console tests share: a real API over a real InfluxDB holding the demo's
history (or the small hand-checked one), staff accounts, and signing in in Chromium."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect
from pydantic import SecretStr

from devstack.history import Plan, plan, write_history, write_layouts
from devstack.influxdb import InfluxDB
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.processes import free_port
from hubsense.accounts import Accounts, Role
from hubsense.influx import InfluxV1
from hubsense.layout import Layout, load_layout
from hubsense.settings import (
    ApiSettings,
    ConsoleSettings,
    Credentials,
    InfluxSettings,
    MqttSettings,
    ReportSettings,
    Settings,
    StaffToken,
)
from reports.service import ReportService
from reports.versions import load_versions
from tests.api.conftest import ApiServer, Publisher, open_page, start_api
from tests.conftest import ADMINS, EXAMPLE_LAYOUT

PASSWORD = "console-test-pass-7fK2q9Zx4mT"
TOKEN = "console-bearer-token-7fK2q9Zx4mT-all"
LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 1024, "height": 768}
TABLET_PORTRAIT = {"width": 768, "height": 1024}
SIZES = {"laptop": LAPTOP, "tablet": TABLET, "tablet-portrait": TABLET_PORTRAIT}
USERS = {"anna": [Role.ADMIN], "viewer": [Role.VIEWER], "host": [Role.FACILITY]}


@dataclass
class Console:
    """The API with the console, its database and the layout versions it serves."""

    api: ApiServer
    settings: Settings
    layout: Layout
    broker: Mosquitto
    history: Plan | None

    @property
    def url(self) -> str:
        return self.api.url

    def service(self, db: InfluxV1) -> ReportService:
        """The reports service as the API builds it, over `db`."""
        return ReportService(db, load_versions(self.layout, self.settings), self.settings)

    def db(self) -> InfluxV1:
        return InfluxV1(self.settings.influx)

    def publisher(self) -> Publisher:
        return Publisher(self.broker, self.layout.site.id)


@contextlib.contextmanager
def console_site(work: Path, base: Layout, weeks: int | None,
                 seed: object = None, **console: object) -> Iterator[Console]:
    """Servers on free ports; `weeks` of the demo's history written through the collector's
    code up to now (None: call `seed(db, layout)` instead); staff accounts from USERS."""
    users = BrokerUsers.for_site(base.site.id, [n.id for n in base.nodes], admins=ADMINS)
    broker = Mosquitto(work / "mosquitto", free_port(), users).start()
    influx = InfluxDB(work / "influxdb", free_port(), free_port()).start()
    server = None
    try:
        influx_cfg = InfluxSettings(url=influx.url, database="hubsense")
        report, history = ReportSettings(), None
        if weeks is not None:
            history = plan(base, datetime.now(ZoneInfo(base.site.timezone)), weeks)
            current, earlier = write_layouts(history, work / "layouts")
            with InfluxV1(influx_cfg) as db:
                write_history(db, Settings(influx=influx_cfg), history)
            layout_path = current
            report = ReportSettings(earlier_layouts=[earlier], holidays=history.holidays)
        else:
            layout_path = EXAMPLE_LAYOUT
            with InfluxV1(influx_cfg) as db:
                db.create_database()
                if callable(seed):
                    seed(db, base)
        layout = load_layout(layout_path)
        accounts = Accounts(work / "staff-users.json")
        for name, roles in USERS.items():
            accounts.add(name, PASSWORD, roles)
        login = Credentials(username="api", password=SecretStr(users.passwords["api"]))
        settings = Settings(
            layout=layout_path, influx=influx_cfg, report=report,
            mqtt=MqttSettings(host=broker.host, port=broker.port),
            console=ConsoleSettings(users_file=work / "staff-users.json", **console),  # type: ignore[arg-type]
            api=ApiSettings(port=free_port(), mqtt=login, rate_limit_per_min=0, tokens=[
                StaffToken(name="script", token=SecretStr(TOKEN),
                           scopes=["nodes:read", "reports:read", "events:write",
                                   "checks:write"])]))
        server = start_api(settings, layout)
        yield Console(server, settings, layout, broker, history)
    finally:
        if server is not None:
            server.stop()
        influx.stop()
        broker.stop()


def sign_in(browser: Browser, url: str, user: str = "anna", lang: str = "en",
            size: dict[str, int] | None = None, password: str = PASSWORD) -> Page:
    """Open the console at `url` and sign in; return the page showing its view."""
    page = open_page(browser, url if "lang=" in url else
                     f"{url}{'&' if '?' in url else '?'}lang={lang}", size or LAPTOP)
    expect(page.locator("#signin")).to_be_visible()
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#nav")).to_be_visible()
    return page
