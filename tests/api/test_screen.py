"""The visitor screen in a real Chromium against a real broker: plan, list, live changes,
honest unknowns, language switch, reconnecting, at TV and phone sizes."""

from __future__ import annotations

import itertools
import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, expect

from hubsense.contract import state_topic
from hubsense.layout import Layout
from hubsense.settings import Settings
from hubsense.state import DeskState, DeskStatus, Noise, ZoneStatus
from tests.api.conftest import ARTIFACTS, ApiServer, Publisher, open_page, start_api, zone_state

pytestmark = [pytest.mark.services, pytest.mark.browser]

TV = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def publish_busy_hub(publisher: Publisher, layout: Layout) -> None:
    """A plausible afternoon: some zones free, some filling, one meeting area in use."""
    ms = int(time.time() * 1000)
    publisher.collector("online")
    publisher.zone(zone_state(layout, "quiet", occupied=4, laeq=36.0, noise=Noise.CALM))
    publisher.zone(zone_state(layout, "buzz-north", ZoneStatus.FILLING, occupied=17,
                              laeq=63.0, noise=Noise.LIVELY))
    publisher.zone(zone_state(layout, "buzz-south", occupied=3, laeq=52.0, noise=Noise.CALM))
    publisher.zone(zone_state(layout, "meet-a", ZoneStatus.FREE, occupied=0))
    publisher.zone(zone_state(layout, "meet-b", ZoneStatus.FULL, occupied=6))
    publisher.zone(zone_state(layout, "lounge", ZoneStatus.UNKNOWN, occupied=None, stale=True,
                              last_seen_ms=ms - 14 * 60_000, updated_ms=ms - 14 * 60_000))
    for n, desk in enumerate(layout.desks_in("quiet")):
        publish_desk(publisher, desk.id, DeskStatus.FREE if n % 2 else DeskStatus.OCCUPIED)


def publish_desk(publisher: Publisher, desk: str, status: DeskStatus) -> None:
    state = DeskState(id=desk, zone="quiet", status=status, updated_ms=int(time.time() * 1000))
    publisher.publish(state_topic(publisher.site, "desk", desk), state.model_dump_json())


def item(page: Page, zone_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#zones li[data-zone='{zone_id}']")


def test_screen_follows_changes_live_without_reload(browser: Browser, api: ApiServer,
                                                    publisher: Publisher,
                                                    layout: Layout) -> None:
    publish_busy_hub(publisher, layout)
    page = open_page(browser, api.url + "/")
    quiet = item(page, "quiet")
    expect(quiet).to_have_attribute("data-status", "free", timeout=5000)
    expect(quiet).to_contain_text("Free")
    expect(quiet).to_contain_text("4 of 8 desks free")
    expect(quiet).to_contain_text("Calm")
    expect(page.locator("#quiet-spot")).to_have_text("Quietest free spot now: Quiet zone")
    expect(page.locator("#talk-spot")).to_have_text("Room to talk: Meeting area A")
    expect(page.locator("#plan g[data-zone='quiet']")).to_have_attribute("data-status", "free")
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.locator("#plan g[data-desk='q-02']")).to_have_attribute("data-status", "free")
    expect(page.locator("#plan g[data-desk='q-01']")).to_have_attribute("data-status",
                                                                       "occupied")
    expect(page.locator("#plan g[data-desk='q-02'] text")).to_have_text("✓")
    shoot(page, "tv-en")

    page.evaluate("window.__sameDocument = true")
    publisher.zone(zone_state(layout, "quiet", ZoneStatus.FULL, occupied=8, laeq=40.0,
                              noise=Noise.CALM))
    started = time.monotonic()
    expect(quiet).to_have_attribute("data-status", "full", timeout=2000)
    assert time.monotonic() - started < 2.0
    expect(quiet).to_contain_text("Full")
    expect(page.locator("#plan g[data-zone='quiet'] .status")).to_have_text("✕ Full")
    expect(page.locator("#quiet-spot")).to_have_text("Quietest free spot now: Buzz zone South")
    publish_desk(publisher, "q-02", DeskStatus.OCCUPIED)
    expect(page.locator("#plan g[data-desk='q-02']")).to_have_attribute("data-status",
                                                                       "occupied", timeout=2000)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    page.context.close()


def test_stale_zone_reads_unknown_with_last_seen(browser: Browser, api: ApiServer,
                                                publisher: Publisher, layout: Layout) -> None:
    publish_busy_hub(publisher, layout)
    page = open_page(browser, api.url + "/")
    lounge = item(page, "lounge")
    expect(lounge).to_have_attribute("data-status", "unknown", timeout=5000)
    expect(lounge).to_contain_text("Unknown")
    expect(lounge).to_contain_text("last seen 14 min ago")
    expect(lounge).not_to_contain_text("Free")

    # A zone that goes stale while on screen (a node stopped) turns unknown too.
    publisher.zone(zone_state(layout, "buzz-south", occupied=3, stale=True))
    expect(item(page, "buzz-south")).to_have_attribute("data-status", "unknown", timeout=2000)

    publisher.collector("offline")
    expect(item(page, "quiet")).to_have_attribute("data-status", "unknown", timeout=2000)
    expect(page.locator("#offline")).to_be_visible()
    expect(page.locator("#plan g[data-desk='q-02']")).to_have_attribute("data-status", "unknown")
    expect(page.locator("#quiet-spot")).to_have_text("No free quiet spot known right now")
    page.context.close()


def test_language_switch_and_default_from_config(browser: Browser, api: ApiServer,
                                                 publisher: Publisher, layout: Layout) -> None:
    publish_busy_hub(publisher, layout)
    page = open_page(browser, api.url + "/")
    expect(item(page, "quiet")).to_contain_text("Quiet zone", timeout=5000)
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(item(page, "quiet")).to_contain_text("Tyst zon")
    expect(item(page, "quiet")).to_contain_text("4 av 8 skrivbord lediga")
    expect(item(page, "lounge")).to_contain_text("senast sedd för 14 min sedan")
    expect(page.get_by_role("button", name="Svenska")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#quiet-spot")).to_have_text("Tystaste lediga platsen nu: Tyst zon")
    shoot(page, "tv-sv")
    page.keyboard.press("Shift+Tab")  # the switch is reachable by keyboard
    expect(page.get_by_role("button", name="English")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.context.close()


def test_default_language_comes_from_config(browser: Browser, api_settings: Settings,
                                            publisher: Publisher, layout: Layout) -> None:
    settings = api_settings.model_copy(update={"api": api_settings.api.model_copy(
        update={"language": "sv"})})
    server = start_api(settings, layout)
    try:
        publish_busy_hub(publisher, layout)
        page = open_page(browser, server.url + "/")  # no ?lang: the config decides
        expect(page.locator("html")).to_have_attribute("lang", "sv", timeout=5000)
        expect(item(page, "quiet")).to_contain_text("4 av 8 skrivbord lediga", timeout=5000)
        expect(page.get_by_role("button", name="Svenska")).to_have_attribute("aria-pressed",
                                                                            "true")
        expect(page.locator("#connection")).to_have_text("Live")
        page.context.close()
    finally:
        server.stop()


def assert_fits_one_screen(page: Page, layout: Layout) -> None:
    assert page.evaluate("document.documentElement.scrollHeight") <= TV["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= TV["width"]
    plan = page.locator("#plan").bounding_box()
    assert plan and plan["height"] >= 0.6 * TV["height"], f"a small plan: {plan}"
    sizes = page.evaluate("""() => [...document.querySelectorAll(
        '#plan g.zone tspan, #zones li span:not(.icon), #suggest p')]
        .filter((el) => el.textContent.trim() && el.getClientRects().length)
        .map((el) => [el.textContent.trim(), el.getBoundingClientRect().height])""")
    small = [(text, round(h)) for text, h in sizes if h < 24]
    assert not small, f"text under 24 px high on a 1920x1080 TV: {small}"
    boxes = {name: page.locator(sel).bounding_box() for name, sel in [
        ("suggestions", "#suggest"), ("plan", "#plan"), ("zones", "#zones"), ("qr", "#qr")]}
    for a, b in itertools.combinations(boxes, 2):
        p, q = boxes[a], boxes[b]
        assert p and q
        apart = (p["x"] + p["width"] <= q["x"] or q["x"] + q["width"] <= p["x"]
                 or p["y"] + p["height"] <= q["y"] or q["y"] + q["height"] <= p["y"])
        assert apart, f"{a} and {b} overlap: {p} {q}"
    for zone in layout.zones:  # every label stays inside its own zone
        inside = page.evaluate("""(id) => {
            const g = document.querySelector(`#plan g[data-zone='${id}']`);
            const box = g.querySelector('polygon').getBoundingClientRect();
            return [...g.querySelectorAll('tspan')].every((t) => {
                const r = t.getBoundingClientRect();
                return !t.textContent || (r.left >= box.left && r.right <= box.right); });
        }""", zone.id)
        assert inside, f"a label spills out of {zone.id}"


def test_tv_shows_everything_at_once_in_large_type(browser: Browser, api: ApiServer,
                                                   publisher: Publisher,
                                                   layout: Layout) -> None:
    """Read from a few metres: no scrolling, a big plan, and nothing small on it."""
    publish_busy_hub(publisher, layout)
    page = open_page(browser, api.url + "/", TV)
    expect(item(page, "lounge")).to_contain_text("last seen 14 min ago", timeout=5000)
    assert_fits_one_screen(page, layout)
    publisher.collector("offline")  # every list item gets a second line: still fits
    expect(item(page, "quiet")).to_contain_text("last seen", timeout=2000)
    assert_fits_one_screen(page, layout)
    page.context.close()


def test_phone_layout_puts_the_list_first(browser: Browser, api: ApiServer,
                                          publisher: Publisher, layout: Layout) -> None:
    publish_busy_hub(publisher, layout)
    page = open_page(browser, api.url + "/?lang=sv", PHONE)
    expect(item(page, "quiet")).to_have_attribute("data-status", "free", timeout=5000)
    list_box = page.locator("#zones").bounding_box()
    plan_box = page.locator("#plan").bounding_box()
    assert list_box and plan_box and list_box["y"] < plan_box["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "phone-sv")
    page.context.close()


def test_screen_says_when_it_reconnects(browser: Browser, api_settings: Settings,
                                        api: ApiServer, publisher: Publisher,
                                        layout: Layout) -> None:
    publish_busy_hub(publisher, layout)
    page = open_page(browser, api.url + "/")
    connection = page.locator("#connection")
    expect(connection).to_have_text("Live", timeout=5000)
    api.stop()
    expect(connection).to_have_text("Connection lost, reconnecting…", timeout=5000)
    low = [(text, round(r, 2)) for text, r in page.evaluate(CONTRAST_JS) if r < 4.5]
    assert not low, f"below WCAG AA 4.5:1 while reconnecting: {low}"
    shoot(page, "tv-reconnecting")
    again = start_api(api_settings, layout)
    try:
        expect(connection).to_have_text("Live", timeout=10000)
        expect(item(page, "quiet")).to_have_attribute("data-status", "free")
    finally:
        page.context.close()
        again.stop()


def test_a_long_lost_connection_turns_every_zone_unknown(browser: Browser, api: ApiServer,
                                                        publisher: Publisher,
                                                        layout: Layout) -> None:
    """The page stops trusting what it shows after 15 s without the server, never 'free'."""
    publish_busy_hub(publisher, layout)
    page = browser.new_context(viewport=TV).new_page()  # type: ignore[arg-type]
    page.clock.install()  # the page's own timers and Date; moved below without sleeping
    page.goto(api.url + "/")
    quiet = item(page, "quiet")
    expect(quiet).to_have_attribute("data-status", "free", timeout=5000)
    api.stop()
    expect(page.locator("#connection")).to_have_text("Connection lost, reconnecting…",
                                                     timeout=5000)
    page.clock.fast_forward("00:10")
    expect(quiet).to_have_attribute("data-status", "free")  # a short drop changes nothing
    page.clock.fast_forward("00:10")
    expect(quiet).to_have_attribute("data-status", "unknown", timeout=2000)
    expect(item(page, "buzz-south")).to_have_attribute("data-status", "unknown")
    expect(page.locator("#plan g[data-desk='q-02']")).to_have_attribute("data-status", "unknown")
    expect(page.locator("#quiet-spot")).to_have_text("No free quiet spot known right now")
    page.context.close()


def test_qr_code_is_served_as_svg(browser: Browser, api: ApiServer) -> None:
    page = open_page(browser, api.url + "/")
    img = page.locator("#qr-image")
    expect(img).to_have_attribute("alt", "QR code that opens this page", timeout=5000)
    assert page.evaluate("document.getElementById('qr-image').naturalWidth") > 0
    page.context.close()


CONTRAST_JS = """() => {
  const parse = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05); };
  const bg = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (c !== "transparent" && !/,\\s*0\\)$/.test(c)) return parse(c);
    }
    return [255, 255, 255];
  };
  const out = [];
  const html = "h1, h2, #connection, #suggest p, #suggest strong, #offline, #zones li span, " +
    "#qr p, #languages button";
  for (const el of document.querySelectorAll(html)) {
    if (!el.textContent.trim() || el.offsetParent === null) continue;
    const fg = parse(getComputedStyle(el).color);
    out.push([el.textContent.trim().slice(0, 40), ratio(fg, bg(el))]);
  }
  for (const g of document.querySelectorAll("#plan g.zone")) {
    const fill = getComputedStyle(g.querySelector("polygon")).fill;
    if (!fill.startsWith("rgb")) continue;  // the hatched "unknown" pattern, outlined text
    for (const t of g.querySelectorAll("tspan")) {
      const fg = parse(getComputedStyle(t).fill);
      if (t.textContent) out.push(["plan: " + t.textContent, ratio(fg, parse(fill))]);
    }
  }
  for (const g of document.querySelectorAll("#plan g.desk")) {
    const fg = parse(getComputedStyle(g.querySelector("text")).fill);
    const disc = parse(getComputedStyle(g.querySelector("circle")).fill);
    out.push(["desk " + g.dataset.status, ratio(fg, disc)]);
  }
  return out;
}"""


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_text_meets_wcag_aa_contrast_and_shows_no_internals(browser: Browser, api: ApiServer,
                                                            publisher: Publisher,
                                                            layout: Layout, lang: str) -> None:
    publish_busy_hub(publisher, layout)
    page = open_page(browser, f"{api.url}/?lang={lang}")
    expect(item(page, "quiet")).to_have_attribute("data-status", "free", timeout=5000)
    measured = page.evaluate(CONTRAST_JS)
    assert len(measured) > 30, "the check must see the list, the plan and the header"
    low = [(text, round(r, 2)) for text, r in measured if r < 4.5]
    assert not low, f"below WCAG AA 4.5:1: {low}"
    html = page.content()
    for node in layout.nodes:
        if layout.zone(node.id) is None:  # some meeting nodes share their zone's id
            whole_id = rf"(?<![\w-]){re.escape(node.id)}(?![\w-])"
            assert not re.search(whole_id, html), f"node id {node.id} on the screen"
    page.context.close()


@pytest.mark.parametrize(("lang", "size"), [("en", TV), ("sv", PHONE)],
                         ids=["en-tv", "sv-phone"])
def test_axe_finds_no_wcag_aa_violations(browser: Browser, api: ApiServer, publisher: Publisher,
                                         layout: Layout, lang: str,
                                         size: dict[str, int]) -> None:
    """axe-core (shipped in the wheel, nothing downloaded) on the live page, all states shown."""
    publish_busy_hub(publisher, layout)
    page = open_page(browser, f"{api.url}/?lang={lang}", size)
    expect(item(page, "lounge")).to_have_attribute("data-status", "unknown", timeout=5000)
    expect(page.locator("#connection")).not_to_have_attribute("data-state", "connecting")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
    assert results.violations_count == 0, results.generate_report()
    page.context.close()


def test_screen_loads_nothing_from_elsewhere(browser: Browser, api: ApiServer,
                                             publisher: Publisher, layout: Layout) -> None:
    publish_busy_hub(publisher, layout)
    page = browser.new_context(viewport=TV).new_page()  # type: ignore[arg-type]
    urls: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    response = page.goto(api.url + "/")
    assert response and "default-src 'none'" in response.headers["content-security-policy"]
    expect(page.locator("#connection")).to_have_text("Live", timeout=5000)
    expect(page.locator("#qr-image")).to_have_attribute("alt", "QR code that opens this page")
    assert any(u.endswith("/api/v1/stream") for u in urls)
    assert [u for u in urls if not u.startswith(api.url + "/")] == []
    assert console == [], "the page logged errors (a CSP violation shows here)"
    page.context.close()
