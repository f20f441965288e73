"""The visitor screen in a real Chromium: it lists free zones and follows changes live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from hubsense.layout import Layout
from hubsense.state import ZoneStatus
from tests.api.conftest import ApiServer, Publisher, zone_state

pytestmark = [pytest.mark.services, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "api"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    yield pg
    context.close()


def test_screen_lists_free_zone_and_follows_changes(page: Page, api: ApiServer,
                                                    publisher: Publisher,
                                                    layout: Layout) -> None:
    publisher.collector("online")
    publisher.zone(zone_state(layout, "quiet", occupied=2))
    page.goto(api.url + "/")
    free = page.locator("#free-zones li")
    expect(free.filter(has_text="Quiet zone")).to_have_count(1, timeout=5000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "skeleton-free.png")

    page.evaluate("window.__sameDocument = true")
    publisher.zone(zone_state(layout, "quiet", ZoneStatus.FULL, occupied=8))
    expect(free.filter(has_text="Quiet zone")).to_have_count(0, timeout=2000)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    page.screenshot(path=ARTIFACTS / "skeleton-full.png")
