"""Visitor feedback through the real API into a real InfluxDB: counted per zone and hour,
once per client and zone in a while, anonymous, and shown to staff with `reports:read`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.measurements import FEEDBACK
from hubsense.settings import InfluxSettings, Settings, StaffToken
from reports.hours import HOUR_MS, Calendar
from tests.api.conftest import ApiServer, start_api

pytestmark = pytest.mark.services

STAFF = "staff-token-reports-read-7fK2q9Zx4mT"
URL = "/api/v1/feedback"


def feedback_api(api_settings: Settings, influx: InfluxSettings, layout: Layout,
                 **api: object) -> ApiServer:
    # The proxy setting lets one test speak as several visitors (X-Forwarded-For).
    conf = api_settings.api.model_copy(update={
        "tokens": [StaffToken(name="facility", token=SecretStr(STAFF), scopes=["reports:read"])],
        "trusted_proxies": ["127.0.0.1"], **api})
    return start_api(api_settings.model_copy(update={"api": conf, "influx": influx}), layout)


@pytest.fixture
def api(api_settings: Settings, influx_settings: InfluxSettings,
        layout: Layout) -> Iterator[ApiServer]:
    with InfluxV1(influx_settings) as db:
        db.create_database()
    server = feedback_api(api_settings, influx_settings, layout)
    yield server
    server.stop()


def press(api: ApiServer, zone: str, kind: str, visitor: str = "10.0.0.1") -> httpx.Response:
    return httpx.post(api.url + URL, json={"zone": zone, "kind": kind},
                      headers={"X-Forwarded-For": visitor})


def staff_report(api: ApiServer, day: date) -> dict[str, Any]:
    r = httpx.get(api.url + URL, params={"from": str(day), "to": str(day)},
                  headers={"Authorization": f"Bearer {STAFF}"})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_feedback_is_counted_per_zone_and_hour_and_shown_to_staff(
        api: ApiServer, influx_settings: InfluxSettings, layout: Layout) -> None:
    for visitor in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        r = press(api, "quiet", "too_loud", visitor)
        assert r.status_code == 201, r.text
        assert r.json() == {"zone": "quiet", "kind": "too_loud", "counted": True,
                            "again_after_s": 600}
    assert press(api, "quiet", "no_seat", "10.0.0.4").status_code == 201
    assert press(api, "buzz-north", "no_seat", "10.0.0.1").status_code == 201

    now = int(time.time() * 1000)
    cal = Calendar.from_settings(Settings().report, layout.site.timezone)
    body = staff_report(api, cal.local_date(now))
    hour = cal.local(now - now % HOUR_MS).isoformat()
    assert body["hours"] == [
        {"hour": hour, "zone": "buzz-north", "too_loud": 0, "no_seat": 1},
        {"hour": hour, "zone": "quiet", "too_loud": 3, "no_seat": 1}]

    with InfluxV1(influx_settings) as db:
        [keys] = db.query(f"SHOW TAG KEYS FROM {FEEDBACK}")
        assert sorted(v[0] for v in keys.values) == ["kind", "site", "zone"]
        [fields] = db.query(f"SHOW FIELD KEYS FROM {FEEDBACK}")
        assert [v[0] for v in fields.values] == ["count"]
        everything = db.query("SELECT * FROM /.*/ GROUP BY *")
    stored = json.dumps([s.__dict__ for s in everything])
    assert "10.0.0." not in stored and "127.0.0.1" not in stored, "a client address was kept"
    rows = [r for s in everything for r in s.rows()]
    assert {r["time"] for r in rows} == {now - now % HOUR_MS}, "only the hour is kept"


def test_one_visitor_counts_once_per_zone_in_a_while(api: ApiServer, layout: Layout) -> None:
    assert press(api, "lounge", "too_loud").status_code == 201
    again = press(api, "lounge", "too_loud")
    assert again.status_code == 200, "not an error: the word is in the count already"
    assert again.json()["counted"] is False
    assert 590 <= again.json()["again_after_s"] <= 600
    assert press(api, "lounge", "no_seat").json()["counted"] is False, "per zone, any kind"
    assert press(api, "meet-a", "no_seat").status_code == 201, "another zone is another word"
    assert press(api, "lounge", "too_loud", "10.0.0.9").status_code == 201, "another visitor"
    now = int(time.time() * 1000)
    cal = Calendar.from_settings(Settings().report, layout.site.timezone)
    assert [(h["zone"], h["too_loud"], h["no_seat"])
            for h in staff_report(api, cal.local_date(now))["hours"]] == [
        ("lounge", 2, 0), ("meet-a", 0, 1)]


@pytest.mark.parametrize(("body", "content_type"), [
    ('{"zone": "canary", "kind": "too_loud"}', "application/json"),
    ('{"zone": "entrance", "kind": "no_seat"}', "application/json"),
    ('{"zone": "quiet", "kind": "canary"}', "application/json"),
    ('{"zone": "quiet", "kind": "too_loud", "who": "CANARY"}', "application/json"),
    ('{"zone": "quiet", "zone": "lounge", "kind": "too_loud"}', "application/json"),
    ('{"zone": "Canary zone", "kind": "too_loud"}', "application/json"),
    ("zone=quiet&kind=too_loud", "application/x-www-form-urlencoded"),
    ("", "application/json"),
], ids=["unknown-zone", "entrance", "bad-kind", "extra-key", "duplicate-key", "not-an-id",
        "form", "empty"])
def test_bad_feedback_is_refused_and_not_counted(api: ApiServer, layout: Layout, body: str,
                                                 content_type: str) -> None:
    r = httpx.post(api.url + URL, content=body, headers={"Content-Type": content_type})
    assert r.status_code == 422, r.text
    assert "canary" not in r.text.lower(), "the answer says what is wrong, never repeats input"
    today = Calendar.from_settings(Settings().report, layout.site.timezone).local_date(
        int(time.time() * 1000))
    assert staff_report(api, today)["hours"] == []


def test_a_large_body_is_refused_before_it_is_read(api: ApiServer) -> None:
    body = json.dumps({"zone": "quiet", "kind": "too_loud", "pad": "x" * 70_000})
    assert httpx.post(api.url + URL, content=body,
                      headers={"Content-Type": "application/json"}).status_code == 413


def test_the_per_client_rate_limit_applies(api_settings: Settings, influx_settings: InfluxSettings,
                                           layout: Layout) -> None:
    server = feedback_api(api_settings, influx_settings, layout, rate_limit_per_min=3)
    try:
        codes = [press(server, zone, "no_seat").status_code
                 for zone in ("quiet", "lounge", "meet-a", "meet-b")]
        assert codes[:3] != [429] * 3 and codes[3] == 429, codes
    finally:
        server.stop()


def test_nothing_is_counted_while_influxdb_fails_and_the_visitor_may_try_again(
        api_settings: Settings, influx_settings: InfluxSettings, layout: Layout) -> None:
    server = feedback_api(api_settings, influx_settings, layout)  # its database does not exist yet
    try:
        r = press(server, "quiet", "too_loud")
        assert r.status_code == 503, r.text
        with InfluxV1(influx_settings) as db:
            db.create_database()
        assert press(server, "quiet", "too_loud").status_code == 201, "the cooldown was let go"
        now = int(time.time() * 1000)
        cal = Calendar.from_settings(Settings().report, layout.site.timezone)
        [row] = staff_report(server, cal.local_date(now))["hours"]
        assert (row["zone"], row["too_loud"]) == ("quiet", 1)
    finally:
        server.stop()
