"""What the screen tests share: viewport sizes, a plausible hub to publish, and page helpers."""

from __future__ import annotations

import time
from collections.abc import Iterator

from playwright.sync_api import Browser, Locator, Page, expect

from hubsense.contract import state_topic
from hubsense.layout import Layout
from hubsense.state import DeskState, DeskStatus, Noise, ZoneStatus
from tests.api.conftest import ARTIFACTS, Publisher, open_page, zone_state

TV = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}  # a kiosk screen on its side
PHONE = {"width": 390, "height": 844}
SIZES = {"tv": TV, "portrait": PORTRAIT, "phone": PHONE}


def shoot(page: Page, name: str) -> None:
    """Keep a screenshot in test-artifacts/api/ to look at (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def publish_busy_hub(publisher: Publisher, layout: Layout) -> None:
    """A plausible afternoon: some zones free, one filling, one meeting area in use, one silent."""
    ms = int(time.time() * 1000)
    publisher.collector("online")
    publisher.zone(zone_state(layout, "quiet", occupied=4, laeq=36.0, noise=Noise.CALM))
    publisher.zone(zone_state(layout, "buzz-north", ZoneStatus.FILLING, occupied=17,
                              laeq=63.0, noise=Noise.LIVELY))
    publisher.zone(zone_state(layout, "buzz-south", occupied=3, laeq=52.0, noise=Noise.CALM))
    publisher.zone(zone_state(layout, "meet-a", ZoneStatus.FREE, occupied=0))
    publisher.zone(zone_state(layout, "meet-b", ZoneStatus.IN_USE, occupied=6))
    publisher.zone(zone_state(layout, "lounge", ZoneStatus.UNKNOWN, occupied=None, stale=True,
                              last_seen_ms=ms - 14 * 60_000, updated_ms=ms - 14 * 60_000))
    for n, desk in enumerate(layout.desks_in("quiet")):
        publish_desk(publisher, desk.id, DeskStatus.FREE if n % 2 else DeskStatus.OCCUPIED)


def publish_desk(publisher: Publisher, desk: str, status: DeskStatus) -> None:
    state = DeskState(id=desk, zone="quiet", status=status, updated_ms=int(time.time() * 1000))
    publisher.publish(state_topic(publisher.site, "desk", desk), state.model_dump_json())


def item(page: Page, zone_id: str) -> Locator:
    """The zone's entry in the list."""
    return page.locator(f"#zones li[data-zone='{zone_id}']")


def open_busy_hub(browser: Browser, url: str, publisher: Publisher, layout: Layout,
                  lang: str = "en", size: dict[str, int] = TV) -> Page:
    """Publish the busy hub and open the screen on it, live and drawn."""
    publish_busy_hub(publisher, layout)
    page = open_page(browser, f"{url}/?lang={lang}", size)
    expect(item(page, "lounge")).to_have_attribute("data-status", "unknown", timeout=5000)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    return page


def live_then_offline(page: Page, publisher: Publisher) -> Iterator[str]:
    """Yield "live"; then, the collector down (every zone unknown, with its longest words),
    yield "offline"."""
    yield "live"
    publisher.collector("offline")
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline",
                                                          timeout=2000)
    yield "offline"
