"""The screen's "Too loud? No seat?" control, pressed in a real Chromium on a phone: the word
reaches the real API and InfluxDB, counted once, and staff see it per zone and hour."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect
from pydantic import SecretStr

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, Settings, StaffToken
from reports.hours import Calendar
from tests.api.conftest import ApiServer, Publisher, open_page, start_api
from tests.api.screen_page import PHONE, item, publish_busy_hub, shoot

pytestmark = [pytest.mark.services, pytest.mark.browser]

STAFF = "staff-token-reports-read-7fK2q9Zx4mT"


@pytest.fixture
def api(api_settings: Settings, influx_settings: InfluxSettings,
        layout: Layout) -> Iterator[ApiServer]:
    with InfluxV1(influx_settings) as db:
        db.create_database()
    conf = api_settings.api.model_copy(update={"tokens": [
        StaffToken(name="facility", token=SecretStr(STAFF), scopes=["reports:read"])]})
    server = start_api(api_settings.model_copy(update={"api": conf, "influx": influx_settings}),
                       layout)
    yield server
    server.stop()


def test_a_visitor_says_a_zone_is_too_loud_from_the_phone(browser: Browser, api: ApiServer,
                                                          publisher: Publisher,
                                                          layout: Layout) -> None:
    publish_busy_hub(publisher, layout)
    page = open_page(browser, api.url + "/?lang=sv", PHONE)
    expect(item(page, "quiet")).to_have_attribute("data-status", "free", timeout=5000)
    page.get_by_text("För högljutt? Ingen plats?").click()
    where = page.get_by_label("Var är du?")
    expect(where.locator("option")).to_have_text(["Välj zon", "Pratzon norr", "Pratzon syd",
                                                  "Tyst zon", "Mötesyta A", "Mötesyta B",
                                                  "Lounge"])
    result = page.locator("#feedback-result")
    page.get_by_role("button", name="För högljutt").click()  # no zone chosen: nothing sent
    assert where.evaluate("(s) => !s.validity.valid")
    expect(result).to_be_empty()
    where.select_option(label="Pratzon norr")
    page.get_by_role("button", name="För högljutt").click()
    expect(result).to_have_text("Tack! Det är noterat, anonymt.")
    shoot(page, "phone-sv-feedback")
    page.get_by_role("button", name="Ingen ledig plats").click()  # the same zone again
    expect(result).to_have_text(
        "Tack! Vi har redan fått ditt svar om den här zonen. Igen om 10 min.")

    now = int(time.time() * 1000)
    day = Calendar.from_settings(Settings().report, layout.site.timezone).local_date(now)
    r = httpx.get(f"{api.url}/api/v1/feedback", params={"from": str(day), "to": str(day)},
                  headers={"Authorization": f"Bearer {STAFF}"})
    assert [(h["zone"], h["too_loud"], h["no_seat"]) for h in r.json()["hours"]] == [
        ("buzz-north", 1, 0)]
    page.context.close()


def test_the_screen_says_when_feedback_did_not_go_through(browser: Browser,
                                                          api_settings: Settings,
                                                          influx_settings: InfluxSettings,
                                                          publisher: Publisher,
                                                          layout: Layout) -> None:
    server = start_api(api_settings.model_copy(update={"influx": influx_settings}), layout)
    try:  # its database does not exist: InfluxDB refuses the write
        publish_busy_hub(publisher, layout)
        page = open_page(browser, server.url + "/", PHONE)
        page.get_by_text("Too loud? No seat?").click()
        page.get_by_label("Where are you?").select_option("lounge")
        page.get_by_role("button", name="No free seat").click()
        expect(page.locator("#feedback-result")).to_have_text(
            "That did not go through. Please try again in a while.")
        page.context.close()
    finally:
        server.stop()
