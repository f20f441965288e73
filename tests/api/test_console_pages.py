"""Every console view in a real Chromium over the demo's eight weeks of history (written
through the collector's code into a real InfluxDB): the figures on each page are the
reports service's for the same question, and so are the API's and the command line's;
an event added in the browser shows up in the visits report; exports download and parse;
axe-core finds nothing in either language at laptop and tablet sizes."""

from __future__ import annotations

import csv
import io
import json
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, expect

from hubsense.contract import collector_heartbeat_topic
from hubsense.layout import Layout
from hubsense.state import ZoneStatus
from reports import export
from reports.hours import Period
from reports.service import CompareQuery
from tests.api.conftest import eventually, zone_state
from tests.api.console_page import SIZES, TOKEN, Console, console_site, sign_in
from tests.conftest import ROOT

pytestmark = [pytest.mark.services, pytest.mark.browser]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, layout: Layout) -> Iterator[Console]:
    with console_site(tmp_path_factory.mktemp("console"), layout, 8) as c:
        yield c


def pct(v: float | None) -> str:
    """A share as the console writes it in English (Intl, en-GB, whole percent)."""
    return "\u2013" if v is None else f"{round(v * 100)}%"


def last_weeks(c: Console) -> Period:
    """The four whole weeks before today: every figure in them is final."""
    assert c.history is not None
    today = c.history.end.date()
    return Period(today - timedelta(days=28), today - timedelta(days=1))


def cli(c: Console, tmp: Path, *args: str) -> Any:
    """`hubsense ARGS --format json -c FILE` against the same database; its JSON."""
    conf = tmp / "hubsense.toml"
    r = c.settings.report
    conf.write_text(
        f'layout = "{c.settings.layout}"\n[influx]\nurl = "{c.settings.influx.url}"\n'
        f'database = "{c.settings.influx.database}"\n[report]\n'
        f"earlier_layouts = {json.dumps([str(p) for p in r.earlier_layouts])}\n"
        f"holidays = {json.dumps([str(d) for d in r.holidays])}\n")
    out = subprocess.run([sys.executable, "-m", "cli", *args, "-c", str(conf)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if "--format" in args else out.stdout


def api(c: Console, path: str, **params: Any) -> Any:
    r = httpx.get(c.url + path, params=params, headers={"Authorization": f"Bearer {TOKEN}"},
                  timeout=60)
    r.raise_for_status()
    return r.json()


def cell(page: Page, table: str, row: str, col: str) -> str:
    return page.locator(f"#{table} tr[data-row='{row}'] [data-col='{col}']").inner_text()


def download(page: Page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.locator(selector).first.click()
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


def test_utilization_page_shows_the_service_figures_and_the_overused_zone(
        browser: Browser, demo: Console) -> None:
    p = last_weeks(demo)
    with demo.db() as db:
        r = demo.service(db).utilization(p)
    page = sign_in(browser, f"{demo.url}/staff/utilization?from={p.first}&to={p.last}")
    expect(page.locator("#zones-table")).to_be_visible()
    for u in r.zones:
        assert cell(page, "zones-table", u.id, "mean_vs_capacity") == pct(u.mean_vs_capacity)
        assert cell(page, "zones-table", u.id, "unknown_share") == pct(u.unknown_share)
        assert cell(page, "zones-table", u.id, "capacity") == str(u.capacity)
    changed = demo.history.changed_zone if demo.history else ""
    assert {u.id for u in r.zones if u.flag == "overused"} == {changed}, "the demo's story"
    expect(page.locator(f"#zones-table tr[data-row='{changed}'] [data-flag]")).to_have_text(
        "overused")
    for hl in r.highlights:
        expect(page.locator(f"#highlights li[data-zone='{hl.zone}']")).to_contain_text(
            f"{hl.first_hour:02d}\u2013{hl.end_hour:02d}, {pct(hl.share)} of")
    grid = page.locator("#hour-grid rect[data-how]")
    assert grid.count() > 0
    assert page.locator("[data-in-progress]").count() == 0, "a past period is not in progress"

    # Exports: the CSV is the API's (the CLI's columns), the images are files of their own.
    got = download(page, "#page [data-export=csv]").decode()
    assert got == export.utilization_csv(r)
    svg = ET.fromstring(download(page, "#page button[data-export=svg]"))
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert "Quiet zone" in texts and f"{pct(r.zones[0].mean_vs_capacity)} of capacity" in texts
    png = download(page, "#page button[data-export=png]")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (2 * demo.layout.site.width, 2 * (demo.layout.site.height + 50))
    page.context.close()


def test_compare_page_says_what_the_layout_change_did(browser: Browser, demo: Console,
                                                      tmp_path: Path) -> None:
    assert demo.history is not None
    old, new = demo.history.earlier.version, demo.history.current.version
    with demo.db() as db:
        r = demo.service(db).compare(CompareQuery(versions=(old, new), days=28))
    page = sign_in(browser, f"{demo.url}/staff/compare")
    expect(page.locator("#compare-table")).to_be_visible()
    zone = demo.history.changed_zone
    for c in r.zones:
        assert c.before is not None and c.after is not None
        assert cell(page, "compare-table", c.zone, "before") == pct(c.before.mean_vs_capacity)
        assert cell(page, "compare-table", c.zone, "after") == pct(c.after.mean_vs_capacity)
    assert cell(page, "compare-table", zone, "before_capacity") == str(2 * cell_int(
        page, zone, "after_capacity"))
    change = next(c for c in r.zones if c.zone == zone).mean_vs_capacity_change
    assert change is not None and change > 0.3, "half the seats, as many people: fuller"
    expect(page.locator("#before-side")).to_contain_text(f"{r.before.days} days, layout v{old}")
    # The command line and the API answer the same.
    by_cli = cli(demo, tmp_path, "report", "compare", "--versions", str(old), str(new),
                 "--format", "json")
    by_api = api(demo, "/api/v1/reports/compare", before_version=old, after_version=new)
    assert by_cli == by_api
    assert [z["mean_vs_capacity_change"] for z in by_api["zones"]] == \
        [c.mean_vs_capacity_change for c in r.zones]
    page.context.close()


def cell_int(page: Page, zone: str, col: str) -> int:
    return int(cell(page, "compare-table", zone, col))


def test_an_event_added_in_the_browser_is_in_the_visits_report_everywhere(
        browser: Browser, demo: Console, tmp_path: Path) -> None:
    assert demo.history is not None
    day = demo.history.end.date() - timedelta(days=1)
    while day.weekday() > 3:  # a Monday to Thursday, open and busy
        day -= timedelta(days=1)
    p = Period(day - timedelta(days=6), day)
    page = sign_in(browser, f"{demo.url}/staff/visits?from={p.first}&to={p.last}")
    form = page.locator("#event-form")
    form.locator("input[name=name]").fill("Pop-up lunch")
    form.locator("input[name=start]").fill(f"{day}T11:00")
    form.locator("input[name=end]").fill(f"{day}T13:30")
    form.locator("button[type=submit]").click()
    expect(page.locator("#event-status")).to_have_text("Event Pop-up lunch saved.")
    ident = f"pop-up-lunch-{day:%Y%m%d}"
    row = page.locator(f"#events-table tr[data-row='{ident}']")
    expect(row).to_be_visible()
    with demo.db() as db:
        reps = demo.service(db).event_reports(p)
        visits = demo.service(db).visits(p)
    [rep] = [x for x in reps if x.event.id == ident]
    assert rep.visits > 0 and rep.usual_visits is not None and rep.usual_days
    expect(row.locator("[data-col=visits]")).to_have_text(str(rep.visits))
    expect(row.locator("[data-col=start]")).to_have_text(f"{day} 11:00")
    expect(row.locator("[data-col=usual]")).to_have_text(f"{rep.usual_visits:.1f}".rstrip("0")
                                                         .rstrip("."))
    expect(page.locator("#visits-summary")).to_contain_text(f"Total {visits.total}")
    assert page.locator(f"#visits-chart [data-mark='{str(day)[5:]}']").count() == 1
    # The same figures from the API and the command line, in local time.
    by_api = api(demo, "/api/v1/reports/events", **{"from": str(p.first), "to": str(p.last)})
    by_cli = cli(demo, tmp_path, "report", "events", "--from", str(p.first), "--to",
                 str(p.last), "--format", "json")
    assert by_api == by_cli
    [mine] = [e for e in by_api if e["event"]["id"] == ident]
    assert (mine["visits"], mine["usual_visits"]) == (rep.visits, rep.usual_visits)
    assert mine["event"]["start"].startswith(f"{day}T11:00:00+0")
    listed = cli(demo, tmp_path, "event", "list", "--from", str(day), "--to", str(day))
    assert f"{day} 11:00-13:30" in listed and "Pop-up lunch" in listed
    # Deleted in the browser, gone from the API.
    page.locator(f"button[data-delete='{ident}']").click()
    expect(page.locator("#events-status")).to_have_text("Event Pop-up lunch deleted.")
    expect(row).to_have_count(0)
    assert ident not in {e["id"] for e in api(demo, "/api/v1/events")["data"]}
    page.context.close()


def test_visits_page_marks_the_period_in_progress_and_draws_no_future(
        browser: Browser, demo: Console) -> None:
    assert demo.history is not None
    today = demo.history.end.date()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    page = sign_in(browser, f"{demo.url}/staff/visits?from={first}&to={last}")
    expect(page.locator("[data-in-progress]")).to_be_visible()
    bars = page.locator("#visits-chart rect.bar")
    labels = bars.evaluate_all("els => els.map(e => e.dataset.label)")
    assert labels == [str(first + timedelta(days=i))[5:] for i in range((today - first).days + 1)]
    assert page.locator("#visits-chart rect.bar[data-progress]").get_attribute("data-label") == \
        str(today)[5:]
    page.context.close()


def test_month_report_is_one_click_away(browser: Browser, demo: Console) -> None:
    assert demo.history is not None
    last_month = demo.history.end.date().replace(day=1) - timedelta(days=1)
    page = sign_in(browser, f"{demo.url}/staff/visits?from={last_month.replace(day=1)}"
                            f"&to={last_month}")
    page.click("#month-report")
    expect(page.locator("#page h1")).to_have_text(f"Month report {last_month:%Y-%m}")
    with demo.db() as db:
        r = demo.service(db).visits(Period.month(f"{last_month:%Y-%m}"))
    expect(page.locator("#visits-summary")).to_contain_text(f"Total {r.total}")
    # Sent on as a PDF: the browser's print, figures only.
    page.evaluate("window.print = () => { window.printed = true; }")
    page.click("#print-report")
    assert page.evaluate("window.printed") is True
    page.emulate_media(media="print")
    for hidden in ("header", "#print-report", ".exports >> nth=0", "form.query"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#visits-summary")).to_be_visible()
    assert page.pdf(format="A4")[:5] == b"%PDF-"
    page.context.close()


def test_acoustics_accuracy_and_headcount_pages(browser: Browser, demo: Console) -> None:
    p = last_weeks(demo)
    with demo.db() as db:
        sound = demo.service(db).acoustics(p)
    page = sign_in(browser, f"{demo.url}/staff/acoustics?from={p.first}&to={p.last}")
    expect(page.locator("#acoustics-table")).to_be_visible()
    for z in sound.zones:
        assert cell(page, "acoustics-table", z.zone, "above") == pct(z.above_share)
        assert cell(page, "acoustics-table", z.zone, "target") == str(z.target_db)
    # A headcount on a phone, then the accuracy report.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo.url}/staff/check?lang=en")
    page.select_option("#check-form select[name=zone]", "buzz-south")
    page.fill("#check-form input[name=people]", "7")
    page.click("#check-form button[type=submit]")
    expect(page.locator("#check-result")).to_contain_text("Saved: Buzz zone South, 7 counted")
    today = demo.history.end.date() if demo.history else date.today()
    page.set_viewport_size(SIZES["laptop"])
    page.goto(f"{demo.url}/staff/accuracy?from={today}&to={today}&lang=en")
    with demo.db() as db:
        acc = demo.service(db).accuracy(Period(today, today))
    [row] = [a for a in acc.zones if a.zone == "buzz-south"]
    assert cell(page, "accuracy-table", f"buzz-south:{row.sensor}", "checks") == "1"
    expect(page.locator("#checks-table")).to_contain_text("Buzz zone South")
    page.context.close()


def test_overview_and_nodes_pages(browser: Browser, demo: Console) -> None:
    pub = demo.publisher()
    pub.publish(f"hubsense/v1/{demo.layout.site.id}/state/node/buzz-s", json.dumps({
        "id": "buzz-s", "online": True, "fresh": True, "fw": "0.4.2", "uptime_s": 7200,
        "heap_free": 12000, "rssi": -70, "drops": 3, "release": 3,
        "update": {"release": 4, "version": "0.4.3", "state": "rolled_back",
                   "why": "not online within 120 s", "at_ms": 1795425000000}}))
    pub.publish(f"hubsense/v1/{demo.layout.site.id}/state/node/desk-q1", json.dumps({
        "id": "desk-q1", "online": True, "fresh": True, "fw": "0.4.3", "release": 4,
        "update": {"release": 4, "version": "0.4.3", "state": "online", "at_ms": 1795425000000}}))
    eventually(lambda: {n["id"]: n["release"] for n in api(demo, "/api/v1/nodes")["data"]
                        if n["id"] in ("buzz-s", "desk-q1")} == {"buzz-s": 3, "desk-q1": 4},
               what="the API has both nodes' health")
    page = sign_in(browser, f"{demo.url}/staff")
    with demo.db() as db:
        t = demo.service(db).so_far_today()
    expect(page.locator("#today-table tr[data-row=visits] [data-col=today]")).to_have_text(
        str(int(t.today.visits)))
    expect(page.locator("#typical-days")).to_contain_text(", ".join(map(str, t.typical_days)))
    expect(page.locator("#alerts li[data-alert=low_heap][data-node=buzz-s]")).to_contain_text(
        "12000 bytes free")
    expect(page.locator("#alerts li[data-alert=queue_drops][data-node=buzz-s]")).to_be_visible()
    expect(page.locator("#alerts li[data-alert=update_rolled_back][data-node=buzz-s]")
           ).to_contain_text("rolled back from update release 4")
    expect(page.locator("#alerts li[data-node=desk-q1]")).to_have_count(0)
    page.click("#nav a[data-page=nodes]")
    row = page.locator("#nodes-table tr[data-row=buzz-s]")
    expect(row.locator("[data-col=fw]")).to_have_text("0.4.2")
    expect(row.locator("[data-col=drops]")).to_have_text("3")
    expect(row.locator("[data-slot=ota]")).to_have_text(
        "release 3 · release 4 (0.4.3): rolled back")
    expect(row.locator("[data-slot=ota]")).to_have_attribute("title", "not online within 120 s")
    expect(page.locator("#nodes-table tr[data-row=desk-q1] [data-slot=ota]")).to_have_text(
        "release 4")
    nodes = {r["node"]: r for r in csv.DictReader(io.StringIO(
        download(page, "section:has(#nodes-table) [data-export=csv]").decode()))}
    assert (nodes["buzz-s"]["release"], nodes["buzz-s"]["update_state"]) == ("3", "rolled_back")
    page.click("button[data-history=buzz-s]")
    expect(page.locator("#node-history h2")).to_have_text("Node buzz-s, last 24 hours")
    got = list(csv.DictReader(io.StringIO(download(page, "#node-history [data-export=csv]")
                                          .decode())))
    assert len(got) == 24 and {r["node"] for r in got} == {"buzz-s"}
    assert sum(int(r["heartbeats"]) for r in got) > 0, "the history's heartbeats"
    pub.close()
    page.context.close()


def test_overview_plan_labels_stay_inside_their_zones(browser: Browser, demo: Console) -> None:
    """The longest label the plan writes (a zone partly known) wraps inside its zone."""
    pub = demo.publisher()
    pub.collector("online")
    pub.publish(collector_heartbeat_topic(demo.layout.site.id),
                json.dumps({"ts": int(time.time() * 1000), "every_s": 600}))
    for z in demo.layout.zones:
        if z.kind.value != "entrance":
            pub.zone(zone_state(demo.layout, z.id))
    pub.zone(zone_state(demo.layout, "quiet", ZoneStatus.FREE, occupied=2, desks_free=2,
                        desks_unknown=4, at_least=True, stale=True))
    page = sign_in(browser, f"{demo.url}/staff")
    quiet = page.locator("#live-plan g[data-zone=quiet]")
    expect(quiet).to_contain_text("not reporting")
    outside = page.evaluate("""() => [...document.querySelectorAll('#live-plan g[data-zone]')]
      .flatMap((g) => {
        const box = g.querySelector('polygon').getBBox();
        return [...g.querySelectorAll('text')].filter((t) => {
          const b = t.getBBox();
          return b.x < box.x - 1 || b.x + b.width > box.x + box.width + 1
            || b.y < box.y - 1 || b.y + b.height > box.y + box.height + 1;
        }).map((t) => `${g.dataset.zone}: ${t.textContent}`);
      })""")
    assert outside == []
    pub.close()
    page.context.close()


PAGES = ["overview", "utilization", "compare", "visits", "acoustics", "accuracy", "check",
         "nodes"]
LANG_SIZES = [(lang, size) for lang in ("en", "sv") for size in SIZES]


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES, ids=[f"{a}-{b}" for a, b in LANG_SIZES])
def test_axe_finds_no_wcag_aa_violations(browser: Browser, demo: Console, lang: str,
                                         size: str) -> None:
    """axe-core (shipped in the wheel) on every view, signed in and not."""
    page = sign_in(browser, f"{demo.url}/staff", lang=lang, size=SIZES[size])
    pages = PAGES if size == "laptop" else ["overview", "utilization", "visits", "nodes"]
    failures = []
    for name in pages:
        page.goto(f"{demo.url}/staff/{name}?lang={lang}")
        expect(page.locator("#page h1")).to_be_visible()
        expect(page.locator("#page table, #page form").first).to_be_visible()
        assert page.locator("html").get_attribute("lang") == lang
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
            "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
        if results.violations_count:
            failures.append(f"{name}: {results.generate_report()}")
    page.click("#sign-out")
    expect(page.locator("#signin")).to_be_visible()
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
    if results.violations_count:
        failures.append(f"sign-in: {results.generate_report()}")
    assert not failures, "\n".join(failures)
    page.context.close()
