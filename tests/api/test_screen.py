"""The visitor screen in a real Chromium against a real broker: plan, list, live changes,
what the domain decided shown as it is (partial knowledge, suggestions), a header that says
whether the data is live, honest unknowns, and both languages."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, expect

from devstack.mosquitto import Mosquitto
from hubsense.layout import Layout
from hubsense.settings import Settings
from hubsense.state import SEATABLE, DeskStatus, Noise, ZoneStatus
from tests.api.conftest import ApiServer, Publisher, open_page, start_api, zone_state
from tests.api.screen_page import (
    TV,
    item,
    open_busy_hub,
    publish_busy_hub,
    publish_desk,
    shoot,
)

pytestmark = [pytest.mark.services, pytest.mark.browser]


def test_screen_follows_changes_live_without_reload(browser: Browser, api: ApiServer,
                                                    publisher: Publisher,
                                                    layout: Layout) -> None:
    page = open_busy_hub(browser, api.url, publisher, layout)
    quiet = item(page, "quiet")
    expect(quiet).to_have_attribute("data-status", "free")
    expect(quiet).to_contain_text("Free")
    expect(quiet).to_contain_text("4 of 8 desks free")
    expect(quiet).to_contain_text("Calm")
    expect(page.locator("#quiet-spot")).to_have_text(
        "Free and quiet: Quiet zone · the sound meter says calm")
    expect(page.locator("#talk-spot")).to_have_text("Free for a meeting: Meeting area A")
    expect(item(page, "meet-b")).to_have_attribute("data-status", "in_use")
    expect(item(page, "meet-b")).to_contain_text("In use")
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
    expect(page.locator("#quiet-spot")).to_have_text(
        "Free and quiet: Buzz zone South · the sound meter says calm")
    publish_desk(publisher, "q-02", DeskStatus.OCCUPIED)
    expect(page.locator("#plan g[data-desk='q-02']")).to_have_attribute("data-status",
                                                                       "occupied", timeout=2000)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    page.context.close()


def test_unknown_zone_says_since_when_and_the_header_says_why(browser: Browser, api: ApiServer,
                                                              publisher: Publisher,
                                                              layout: Layout) -> None:
    page = open_busy_hub(browser, api.url, publisher, layout)
    lounge = item(page, "lounge")
    expect(lounge).to_have_attribute("data-status", "unknown")
    expect(lounge).to_contain_text("Unknown")
    expect(lounge).to_contain_text("last data 14 min ago")
    expect(lounge).not_to_contain_text("Free")

    # A zone whose every sensor went silent a moment ago: unknown, never "just now".
    publisher.zone(zone_state(layout, "buzz-south", ZoneStatus.UNKNOWN, occupied=None,
                              stale=True))
    south = item(page, "buzz-south")
    expect(south).to_have_attribute("data-status", "unknown", timeout=2000)
    expect(south).to_contain_text("no data right now")
    expect(south).not_to_contain_text("just now")

    publisher.collector("offline")
    connection = page.locator("#connection")
    expect(connection).to_have_text("Sensors offline — zones unknown", timeout=2000)
    expect(connection).to_have_attribute("data-state", "offline")
    expect(item(page, "quiet")).to_have_attribute("data-status", "unknown")
    expect(page.locator("#plan g[data-desk='q-02']")).to_have_attribute("data-status", "unknown")
    expect(page.locator("#quiet-spot")).to_have_text(
        "No free quiet seat we can point to right now")
    shoot(page, "tv-collector-offline")
    publisher.collector("online")
    expect(connection).to_have_text("Live", timeout=2000)
    page.context.close()


def test_a_partly_silent_zone_shows_what_is_known(browser: Browser, api: ApiServer,
                                                  publisher: Publisher, layout: Layout) -> None:
    """One of the quiet zone's two desk nodes is silent: the other's free desk still counts."""
    publish_busy_hub(publisher, layout)
    partly = {"stale": True, "at_least": True, "desks_unknown": 4}
    publisher.zone(zone_state(layout, "quiet", occupied=3, desks_free=1, **partly))
    page = open_page(browser, api.url + "/")
    quiet = item(page, "quiet")
    expect(quiet).to_have_attribute("data-status", "free", timeout=5000)
    expect(quiet).to_contain_text("Free")
    expect(quiet).to_contain_text("at least 1 of 8 desks free · 4 not reporting")
    for wrong in ("Unknown", "just now", "no data"):
        expect(quiet).not_to_contain_text(wrong)
    expect(page.locator("#quiet-spot")).to_contain_text("Quiet zone")
    expect(page.locator("#plan g[data-zone='quiet'] .status")).to_have_text("✓ Free")

    # Every reporting desk taken, four silent: the domain cannot say, and the screen says
    # what it does know.
    publisher.zone(zone_state(layout, "quiet", ZoneStatus.UNKNOWN, occupied=4, desks_free=0,
                              **partly))
    expect(quiet).to_have_attribute("data-status", "unknown", timeout=2000)
    expect(quiet).to_contain_text("all 4 reporting desks taken · 4 not reporting")
    # A people count from a partly silent zone is a lower bound, and says so.
    publisher.zone(zone_state(layout, "buzz-south", occupied=5, stale=True, at_least=True))
    expect(item(page, "buzz-south")).to_contain_text("at least 5 of 16 places taken",
                                                     timeout=2000)
    page.get_by_role("button", name="Svenska").click()
    expect(quiet).to_contain_text("alla 4 som rapporterar är upptagna · 4 utan uppgift")
    publisher.zone(zone_state(layout, "quiet", occupied=3, desks_free=1, **partly))
    expect(quiet).to_contain_text("minst 1 av 8 skrivbord ledigt · 4 utan uppgift",
                                  timeout=2000)
    shoot(page, "tv-sv-partly-silent")
    page.context.close()


def test_suggestions_are_the_domains_with_their_reason(browser: Browser, api: ApiServer,
                                                       publisher: Publisher,
                                                       layout: Layout) -> None:
    publisher.collector("online")
    for zone in (z for z in layout.zones if z.kind in SEATABLE):
        publisher.zone(zone_state(layout, zone.id, ZoneStatus.UNKNOWN, occupied=None,
                                  stale=True))
    # A lively buzz zone with room is somewhere to talk, never the quiet spot.
    publisher.zone(zone_state(layout, "buzz-north", occupied=2, laeq=63.5, noise=Noise.LIVELY))
    publisher.zone(zone_state(layout, "quiet", ZoneStatus.FULL, occupied=8))
    page = open_page(browser, api.url + "/")
    expect(page.locator("#talk-spot")).to_have_text("Room to talk: Buzz zone North",
                                                    timeout=5000)
    expect(page.locator("#quiet-spot")).to_have_text(
        "No free quiet seat we can point to right now")
    # A quiet zone without a level now qualifies by its kind, and says so.
    publisher.zone(zone_state(layout, "quiet", occupied=2))
    expect(page.locator("#quiet-spot")).to_have_text(
        "Free and quiet: Quiet zone · quiet by design — not measured", timeout=2000)
    expect(page.locator("#quiet-spot strong")).to_have_text("Quiet zone")
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("#quiet-spot")).to_have_text(
        "Ledigt och lugnt: Tyst zon · tyst enligt reglerna \u2013 ljudet mäts inte")
    expect(page.locator("#talk-spot")).to_have_text("Plats för samtal: Pratzon norr")
    page.context.close()


def test_header_says_when_the_broker_is_gone(browser: Browser, broker: Mosquitto,
                                             api: ApiServer, publisher: Publisher,
                                             layout: Layout) -> None:
    page = open_busy_hub(browser, api.url, publisher, layout)
    connection = page.locator("#connection")
    expect(connection).to_have_text("Live")
    broker.stop()  # the API's page connection stays up; what feeds it does not
    expect(connection).to_have_text("Sensors offline — zones unknown", timeout=10000)
    expect(item(page, "quiet")).to_have_attribute("data-status", "unknown")
    page.context.close()


def test_language_switch_and_default_from_config(browser: Browser, api: ApiServer,
                                                 publisher: Publisher, layout: Layout) -> None:
    page = open_busy_hub(browser, api.url, publisher, layout)
    expect(item(page, "quiet")).to_contain_text("Quiet zone")
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(item(page, "quiet")).to_contain_text("Tyst zon")
    expect(item(page, "quiet")).to_contain_text("4 av 8 skrivbord lediga")
    expect(item(page, "lounge")).to_contain_text("senaste uppgift för 14 min sedan")
    expect(item(page, "buzz-north")).to_contain_text("Börjar bli fullt")
    expect(item(page, "buzz-north")).to_contain_text("17 av 24 platser upptagna")
    expect(item(page, "meet-b")).to_contain_text("Upptaget")
    expect(page.get_by_role("button", name="Svenska")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#quiet-spot")).to_have_text(
        "Ledigt och lugnt: Tyst zon · ljudmätaren visar lugnt")
    expect(page.locator("#talk-spot")).to_have_text("Ledigt för möte: Mötesyta A")
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


def test_both_languages_have_the_same_phrases(browser: Browser, api: ApiServer) -> None:
    page = open_page(browser, api.url + "/")
    mismatch = page.evaluate("""async () => {
        const { STRINGS } = await import('/static/i18n.js');
        const shape = (v) => typeof v === 'function' ? `fn/${v.length}`
            : typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort()
                .map(([k, x]) => [k, shape(x)])) : typeof v;
        const en = JSON.stringify(shape(STRINGS.en)), sv = JSON.stringify(shape(STRINGS.sv));
        return en === sv ? null : [en, sv];
    }""")
    assert mismatch is None, f"en and sv differ in keys or arguments: {mismatch}"
    page.context.close()


def test_screen_says_when_it_reconnects(browser: Browser, api_settings: Settings,
                                        api: ApiServer, publisher: Publisher,
                                        layout: Layout) -> None:
    page = open_busy_hub(browser, api.url, publisher, layout)
    connection = page.locator("#connection")
    expect(connection).to_have_text("Live")
    port = api.port
    api.stop()
    expect(connection).to_have_text("Connection lost — reconnecting…", timeout=5000)
    expect(connection).to_have_attribute("data-state", "reconnecting")
    shoot(page, "tv-reconnecting")
    again = start_api(api_settings, layout, port)
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
    expect(page.locator("#connection")).to_have_text("Connection lost — reconnecting…",
                                                     timeout=5000)
    page.clock.fast_forward("00:10")
    expect(quiet).to_have_attribute("data-status", "free")  # a short drop changes nothing
    page.clock.fast_forward("00:10")
    expect(quiet).to_have_attribute("data-status", "unknown", timeout=2000)
    expect(quiet).not_to_contain_text("desks free")
    expect(item(page, "buzz-south")).to_have_attribute("data-status", "unknown")
    expect(page.locator("#plan g[data-desk='q-02']")).to_have_attribute("data-status", "unknown")
    expect(page.locator("#quiet-spot")).to_have_text(
        "No free quiet seat we can point to right now")
    page.context.close()


def test_qr_code_is_served_as_svg(browser: Browser, api: ApiServer) -> None:
    page = open_page(browser, api.url + "/")
    img = page.locator("#qr-image")
    expect(img).to_have_attribute("alt", "QR code that opens this page", timeout=5000)
    assert page.evaluate("document.getElementById('qr-image').naturalWidth") > 0
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
