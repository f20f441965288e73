"""The screen against the whole real stack: a MicroPython node's desk, through Mosquitto
and the collector, changes the page in Chromium within 2 s; a dead node leaves what the
other one knows, and with both dead the zone is unknown. The one screen test that depends
on the collector; the rest publish its state."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from devstack.nodes import MicroNode
from devstack.runner import HOST, Stack
from tests.api.conftest import ARTIFACTS, open_page

pytestmark = [pytest.mark.services, pytest.mark.browser]

def test_node_desk_flip_and_death_show_on_screen(browser: Browser, stack: Stack,
                                                 tmp_path: Path) -> None:
    site = stack.layout.site.id
    nodes = [MicroNode(tmp_path / n, n, site, HOST, stack.opts.mqtt_port,
                       stack.users.passwords[n], kind="desk", inputs=4, heartbeat_s=30)
             for n in ("desk-q1", "desk-q2")]
    try:
        for node in nodes:
            node.set_inputs({1: False, 2: False, 3: False, 4: False})
            node.start()
        page = open_page(browser, f"http://{HOST}:{stack.opts.api_port}/")
        quiet = page.locator("#zones li[data-zone='quiet']")
        expect(quiet).to_contain_text("8 of 8 desks free", timeout=20000)
        expect(quiet).to_have_attribute("data-status", "free")

        page.evaluate("window.__sameDocument = true")
        started = time.monotonic()
        nodes[0].set_inputs({1: True})  # someone sits down at q-01
        expect(quiet).to_contain_text("7 of 8 desks free", timeout=2000)
        took = time.monotonic() - started
        expect(page.locator("#plan g[data-desk='q-01']")).to_have_attribute(
            "data-status", "occupied")
        assert took < 2.0, f"the page changed {took:.2f} s after the node's flip"
        assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "stack-desk-taken.png")

        nodes[1].kill()  # a power cut: the broker's last will says offline
        # The other node's free desks still count: what is known, as a lower bound.
        expect(quiet).to_contain_text("at least 3 of 8 desks free · 4 not reporting",
                                      timeout=10000)
        expect(quiet).to_have_attribute("data-status", "free")
        expect(page.locator("#plan g[data-desk='q-05']")).to_have_attribute(
            "data-status", "unknown")
        page.screenshot(path=ARTIFACTS / "stack-node-dead.png")

        nodes[0].kill()  # nothing of the zone is heard any more
        expect(quiet).to_have_attribute("data-status", "unknown", timeout=10000)
        expect(quiet).to_contain_text("Unknown")
        expect(quiet).not_to_contain_text("desks free")
        page.context.close()
    finally:
        for node in nodes:
            node.stop()
