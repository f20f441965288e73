"""The screen's layouts in a real Chromium: a 1920x1080 TV, a 1080x1920 portrait kiosk and a
phone. Everything fits without overlap, the portrait screen is filled, no text is small,
labels stay inside their zones and off the desks, contrast meets WCAG AA and axe-core finds
nothing, in both languages."""

from __future__ import annotations

import itertools
import re

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, expect

from hubsense.layout import Layout
from tests.api.conftest import ApiServer, Publisher
from tests.api.screen_page import (
    PHONE,
    PORTRAIT,
    SIZES,
    TV,
    live_then_offline,
    open_busy_hub,
    shoot,
)

pytestmark = [pytest.mark.services, pytest.mark.browser]

# Each visible piece of text and its size on screen in CSS px: SVG text at its plan size
# times the plan's scale. Text only for screen readers (clipped to 1 px) is left out.
TEXT_SIZES_JS = """(selector) => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector(selector), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest('.visually-hidden, option')) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    if (![...range.getClientRects()].some((r) => r.width > 0 && r.height > 0)) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement) size *= el.ownerSVGElement.getScreenCTM().a;
    out.push([n.textContent.trim().slice(0, 40), size]);
  }
  return out;
}"""


def smallest_text(page: Page, selector: str = "body") -> tuple[str, float]:
    sizes: list[tuple[str, float]] = page.evaluate(TEXT_SIZES_JS, selector)
    assert len(sizes) > 20, f"the check must see the page's text: {sizes}"
    text, size = min(sizes, key=lambda s: s[1])
    return text, round(size, 1)


def boxes_apart(page: Page, selectors: list[str]) -> None:
    boxes = {sel: page.locator(sel).bounding_box() for sel in selectors}
    for a, b in itertools.combinations(selectors, 2):
        p, q = boxes[a], boxes[b]
        assert p and q, f"{a} or {b} is not shown"
        apart = (p["x"] + p["width"] <= q["x"] or q["x"] + q["width"] <= p["x"]
                 or p["y"] + p["height"] <= q["y"] or q["y"] + q["height"] <= p["y"])
        assert apart, f"{a} and {b} overlap: {p} {q}"


LABELS_JS = """(id) => {
  const g = document.querySelector(`#plan g[data-zone='${id}']`);
  const zone = g.querySelector('polygon').getBoundingClientRect();
  const desks = [...document.querySelectorAll('#plan g.desk circle')]
    .map((c) => c.getBoundingClientRect());
  const hit = (a, b) => a.left < b.right && b.left < a.right
    && a.top < b.bottom && b.top < a.bottom;
  const wrong = [];
  for (const t of g.querySelectorAll('tspan')) {
    const r = t.getBoundingClientRect();
    if (r.left < zone.left || r.right > zone.right || r.top < zone.top || r.bottom > zone.bottom)
      wrong.push(`outside its zone: ${t.textContent}`);
    if (desks.some((d) => hit(r, d))) wrong.push(`over a desk: ${t.textContent}`);
  }
  return wrong;
}"""


def assert_labels_fit(page: Page, layout: Layout) -> None:
    for zone in layout.zones:
        wrong = page.evaluate(LABELS_JS, zone.id)
        assert not wrong, f"{zone.id}: {wrong}"


def assert_one_screen(page: Page, size: dict[str, int]) -> None:
    assert page.evaluate("document.documentElement.scrollHeight") <= size["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_tv_shows_everything_at_once_and_nothing_under_14_px(
        browser: Browser, api: ApiServer, publisher: Publisher, layout: Layout,
        lang: str) -> None:
    """Read from a few metres: no scrolling, a big plan, and no text smaller than 14 px."""
    page = open_busy_hub(browser, api.url, publisher, layout, lang, TV)
    for state in live_then_offline(page, publisher):
        shoot(page, f"tv-{lang}-{state}")
        assert_one_screen(page, TV)
        plan = page.locator("#plan").bounding_box()
        assert plan and plan["height"] >= 0.6 * TV["height"], f"a small plan: {plan}"
        boxes_apart(page, ["#suggest", "#plan", "#zones", "#qr", "#feedback"])
        assert_labels_fit(page, layout)
        text, px = smallest_text(page)
        assert px >= 14, f"{state}: {text!r} is {px} px on a 1920x1080 TV"
    page.locator("#feedback summary").click()  # a touch kiosk: the form opens over the list
    form = page.locator("#feedback-form")
    expect(form).to_be_visible()
    shoot(page, f"tv-{lang}-feedback")
    assert_one_screen(page, TV)
    boxes_apart(page, ["#suggest", "#plan", "#zones", "#qr", "#feedback"])
    box = form.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= TV["width"]
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_portrait_kiosk_is_filled_in_large_type(browser: Browser, api: ApiServer,
                                                publisher: Publisher, layout: Layout,
                                                lang: str) -> None:
    page = open_busy_hub(browser, api.url, publisher, layout, lang, PORTRAIT)
    for state in live_then_offline(page, publisher):
        shoot(page, f"portrait-{lang}-{state}")
        assert_one_screen(page, PORTRAIT)
        blocks = ["header", "#suggest", "#plan", "#zones", "#feedback", "#qr"]
        boxes_apart(page, blocks[1:])
        plan = page.locator("#plan").bounding_box()
        assert plan and plan["width"] >= 0.9 * PORTRAIT["width"], f"a narrow plan: {plan}"
        # Filled: the gaps between the blocks, top to bottom, are a small part of the height.
        spans = sorted((b["y"], b["y"] + b["height"]) for b in
                       (page.locator(sel).bounding_box() for sel in blocks) if b)
        empty, reached = 0.0, 0.0
        for top, bottom in spans:
            empty += max(0.0, top - reached)
            reached = max(reached, bottom)
        empty += PORTRAIT["height"] - reached
        assert empty <= 0.12 * PORTRAIT["height"], f"{state}: {empty:.0f} px left empty"
        assert_labels_fit(page, layout)
        text, px = smallest_text(page)
        assert px >= 18, f"{state}: {text!r} is {px} px on a portrait kiosk"
        text, px = smallest_text(page, "#zones")
        assert px >= 24, f"{state}: the list's {text!r} is {px} px"
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_phone_puts_the_list_first_and_keeps_plan_labels_legible(
        browser: Browser, api: ApiServer, publisher: Publisher, layout: Layout,
        lang: str) -> None:
    page = open_busy_hub(browser, api.url, publisher, layout, lang, PHONE)
    for state in live_then_offline(page, publisher):
        shoot(page, f"phone-{lang}-{state}")
        tops = {sel: page.locator(sel).bounding_box() for sel in
                ("#suggest", "#zones", "#feedback", "#plan")}
        order = sorted(tops, key=lambda sel: tops[sel]["y"])  # type: ignore[index]
        assert order == ["#suggest", "#zones", "#feedback", "#plan"], order
        boxes_apart(page, list(tops))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert_labels_fit(page, layout)
        text, px = smallest_text(page, "#plan")
        assert px >= 12, f"{state}: the plan's {text!r} is {px} px on a phone"
        text, px = smallest_text(page)
        assert px >= 12, f"{state}: {text!r} is {px} px on a phone"
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
  const html = "h1, h2, #connection, #suggest p, #suggest strong, #suggest .why, " +
    "#zones li span, #qr p, #languages button, #feedback summary";
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
    page = open_busy_hub(browser, api.url, publisher, layout, lang, TV)
    for state in live_then_offline(page, publisher):
        measured = page.evaluate(CONTRAST_JS)
        assert len(measured) > 30, "the check must see the list, the plan and the header"
        low = [(text, round(r, 2)) for text, r in measured if r < 4.5]
        assert not low, f"{state}: below WCAG AA 4.5:1: {low}"
    html = page.content()
    for node in layout.nodes:
        if layout.zone(node.id) is None:  # some meeting nodes share their zone's id
            whole_id = rf"(?<![\w-]){re.escape(node.id)}(?![\w-])"
            assert not re.search(whole_id, html), f"node id {node.id} on the screen"
    page.context.close()


LANG_SIZES = [(lang, size) for lang in ("en", "sv") for size in SIZES]


@pytest.mark.parametrize(("lang", "size"), LANG_SIZES, ids=[f"{a}-{b}" for a, b in LANG_SIZES])
def test_axe_finds_no_wcag_aa_violations(browser: Browser, api: ApiServer, publisher: Publisher,
                                         layout: Layout, lang: str, size: str) -> None:
    """axe-core (shipped in the wheel, nothing downloaded) on the live page, all states shown,
    the feedback form open."""
    page = open_busy_hub(browser, api.url, publisher, layout, lang, SIZES[size])
    page.locator("#feedback summary").click()
    expect(page.locator("#feedback-zone")).to_be_visible()
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
    assert results.violations_count == 0, results.generate_report()
    page.context.close()
