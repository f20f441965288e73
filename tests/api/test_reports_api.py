"""Reports and events over the staff API: the real app, a real InfluxDB and a real broker."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from devstack.processes import free_port
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, Settings, StaffToken
from tests.api.conftest import ApiServer, start_api
from tests.seeded_reports import TUE, WED, seed_and_roll_up

pytestmark = pytest.mark.services

READER = "staff-token-reports-read-7fK2q9Zx4mT"
WRITER = "staff-token-events-write-7fK2q9Zx4mT"
NODES = "staff-token-nodes-read-only-7fK2q9Zx4mT"
CHECKER = "staff-token-checks-write-7fK2q9Zx4mT"
SVG = "{http://www.w3.org/2000/svg}"
READ_ROUTES = ["/api/v1/reports/utilization", "/api/v1/reports/visits",
               "/api/v1/reports/visits.svg", "/api/v1/reports/events", "/api/v1/events",
               "/api/v1/reports/compare", "/api/v1/reports/acoustics",
               "/api/v1/reports/accuracy", "/api/v1/checks"]
DAYS = {"from": str(TUE), "to": str(WED)}


@pytest.fixture
def reports_api(api_settings: Settings, layout: Layout,
                influx_settings: InfluxSettings) -> Iterator[ApiServer]:
    with InfluxV1(influx_settings) as db:
        seed_and_roll_up(db, layout)
    tokens = [StaffToken(name="facility", token=SecretStr(READER), scopes=["reports:read"]),
              StaffToken(name="hub-team", token=SecretStr(WRITER),
                         scopes=["reports:read", "events:write"]),
              StaffToken(name="ops", token=SecretStr(NODES), scopes=["nodes:read"]),
              StaffToken(name="host", token=SecretStr(CHECKER),
                         scopes=["reports:read", "checks:write"])]
    settings = api_settings.model_copy(update={
        "influx": influx_settings,
        "api": api_settings.api.model_copy(update={"tokens": tokens})})
    server = start_api(settings, layout)
    yield server
    server.stop()


def get(api: ApiServer, path: str, token: str = READER, **params: str) -> httpx.Response:
    return httpx.get(api.url + path, params=params, headers={"Authorization": f"Bearer {token}"},
                     timeout=30)


@pytest.mark.parametrize("route", READ_ROUTES)
def test_read_routes_want_the_reports_scope(reports_api: ApiServer, route: str) -> None:
    r = httpx.get(reports_api.url + route, params=DAYS)
    assert (r.status_code, r.headers["www-authenticate"]) == (401, "Bearer")
    r = get(reports_api, route, NODES, **DAYS)
    assert r.status_code == 403
    assert r.json()["detail"] == "this token lacks the 'reports:read' scope"


def test_writes_want_the_events_scope(reports_api: ApiServer) -> None:
    body = {"name": "Quiz", "start": "2026-11-17T18:00", "end": "2026-11-17T20:00"}
    r = httpx.post(f"{reports_api.url}/api/v1/events", json=body,
                   headers={"Authorization": f"Bearer {READER}"})
    assert r.status_code == 403 and "events:write" in r.json()["detail"]
    r = httpx.delete(f"{reports_api.url}/api/v1/events/quiz-20261117")
    assert r.status_code == 401


def test_visits_as_json_csv_and_svg(reports_api: ApiServer) -> None:
    body = get(reports_api, "/api/v1/reports/visits", **DAYS).json()
    assert (body["rows"], body["total"], body["by"]) == \
        ([[str(TUE), 80], [str(WED), 12]], 92, "day")
    assert body["peak_hour"] == {"start": "2026-11-17T12:00:00+01:00", "visits": 30}
    r = get(reports_api, "/api/v1/reports/visits", **DAYS, format="csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.text == f"day,visits\n{TUE},80\n{WED},12\n"
    r = httpx.get(f"{reports_api.url}/api/v1/reports/visits", params={"month": "2026-11",
                                                                       "by": "month"},
                  headers={"Authorization": f"Bearer {READER}", "Accept": "text/csv"})
    assert r.text == "month,visits\n2026-11-01,92\n"
    r = get(reports_api, "/api/v1/reports/visits.svg", **DAYS)
    assert r.headers["content-type"] == "image/svg+xml"
    bars = [b for b in ET.fromstring(r.text).iter(f"{SVG}rect") if b.get("class") == "bar"]
    assert [b.findtext(f"{SVG}title") for b in bars] == [f"{TUE}: 80", f"{WED}: 12"]


def test_utilization_and_compare(reports_api: ApiServer) -> None:
    body = get(reports_api, "/api/v1/reports/utilization", **{"from": str(TUE),
                                                              "to": str(TUE)}).json()
    q1 = next(d for d in body["desks"] if d["id"] == "q-01")
    assert (q1["open_h"], q1["occupied_h"]) == (10, 2.5)
    assert next(z for z in body["zones"] if z["id"] == "buzz-north")["peak"] == 10
    r = get(reports_api, "/api/v1/reports/utilization", **DAYS, format="csv")
    rows = {(x["kind"], x["id"]): x for x in csv.DictReader(io.StringIO(r.text))}
    assert rows["desk", "q-01"]["occupied_h"] == "2.5"
    changes = get(reports_api, "/api/v1/reports/compare", layout_change=str(WED),
                  days="1").json()
    bn = next(c for c in changes["zones"] if c["zone"] == "buzz-north")
    assert bn["before"]["peak"] == 10 and bn["after"]["mean_occupancy"] == 0
    assert bn["mean_vs_capacity_change"] == pytest.approx(-6.6 / 24)


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"from": "2020-01-01", "to": "2026-01-01"}, 400,
     "is 2193 days; reports cover at most 400 (report.max_range_days)"),
    ({"from": str(WED), "to": str(TUE)}, 400, "before it starts"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, 400, "is outside 1971-01-01..2199-12-31"),
    ({"month": "2026-13"}, 400, "is not a month like 2026-10"),
    ({"month": "9999-12"}, 400, "is outside 1971-01-01..2199-12-31"),
    ({"month": "2026-11", "from": str(TUE)}, 400, "not both"),
    ({}, 400, "give a period"),
    ({"from": "2026-02-30", "to": str(WED)}, 422, ""),
])
def test_bad_periods_are_refused_with_the_message(reports_api: ApiServer, params: dict[str, str],
                                                  status: int, message: str) -> None:
    for route in ("/api/v1/reports/utilization", "/api/v1/reports/visits.svg"):
        r = get(reports_api, route, **params)
        assert r.status_code == status, r.text
        assert message in str(r.json()["detail"])


def test_event_lifecycle(reports_api: ApiServer) -> None:
    auth = {"Authorization": f"Bearer {WRITER}"}
    body = {"name": "Demo night", "start": "2026-11-18T18:00", "end": "2026-11-18T21:00",
            "zones": ["buzz-north"]}
    r = httpx.post(f"{reports_api.url}/api/v1/events", json=body, headers=auth)
    assert r.status_code == 201, r.text
    assert r.json() == {"id": "demo-night-20261118", "name": "Demo night",
                        "start": "2026-11-18T18:00:00+01:00", "end": "2026-11-18T21:00:00+01:00",
                        "zones": ["buzz-north"]}, "taken and served in local time"
    listed = get(reports_api, "/api/v1/events", month="2026-11").json()
    assert [e["id"] for e in listed["data"]] == ["demo-night-20261118"]
    [rep] = get(reports_api, "/api/v1/reports/events", month="2026-11").json()
    assert rep["visits"] == 12 and rep["zones"][0]["peak"] == 30
    r = get(reports_api, "/api/v1/reports/events", month="2026-11", format="csv")
    assert r.text.splitlines()[1].startswith("demo-night-20261118,Demo night,")
    base = get(reports_api, "/api/v1/reports/visits", **DAYS, exclude_events="true").json()
    assert (base["excluded_days"], base["baseline_per_day"]) == ([str(WED)], 80)

    bad = httpx.post(f"{reports_api.url}/api/v1/events",
                     json={**body, "zones": ["nowhere"]}, headers=auth)
    assert bad.status_code == 400 and "unknown zones" in bad.json()["detail"]
    bad = httpx.post(f"{reports_api.url}/api/v1/events",
                     json={**body, "end": "2026-11-18T17:00"}, headers=auth)
    assert bad.status_code == 400 and "must end after it starts" in bad.json()["detail"]

    url = f"{reports_api.url}/api/v1/events/demo-night-20261118"
    assert httpx.delete(url, headers=auth).status_code == 204
    assert get(reports_api, "/api/v1/events").json() == {"count": 0, "data": []}
    r = httpx.delete(url, headers=auth)
    assert r.status_code == 404 and r.json()["detail"] == "no event 'demo-night-20261118'"


def test_influxdb_down_is_503_and_the_screen_still_serves(api_settings: Settings,
                                                          layout: Layout) -> None:
    tokens = [StaffToken(name="facility", token=SecretStr(READER), scopes=["reports:read"])]
    settings = api_settings.model_copy(update={
        "influx": InfluxSettings(url=f"http://127.0.0.1:{free_port()}", timeout_s=2),
        "api": api_settings.api.model_copy(update={"tokens": tokens})})
    server = start_api(settings, layout)
    try:
        r = get(server, "/api/v1/reports/visits", **DAYS)
        assert r.status_code == 503
        assert r.json()["detail"] == "InfluxDB did not answer; try again later"
        assert httpx.get(f"{server.url}/api/v1/zones").status_code == 200
    finally:
        server.stop()


def test_a_formula_in_an_event_name_is_defused_in_csv(reports_api: ApiServer) -> None:
    formula = '=HYPERLINK("http://x","y")'
    body = {"name": formula, "start": "2026-11-18T18:00", "end": "2026-11-18T21:00",
            "zones": ["buzz-north"]}
    r = httpx.post(f"{reports_api.url}/api/v1/events", json=body,
                   headers={"Authorization": f"Bearer {WRITER}"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == formula, "JSON keeps the name as given"
    r = get(reports_api, "/api/v1/reports/events", month="2026-11", format="csv")
    [row] = list(csv.DictReader(io.StringIO(r.text)))
    assert row["name"] == "'" + formula, "a spreadsheet shows it as text, never runs it"
    assert (row["visits"], row["peak"], row["mean_occupancy"]) == ("12", "30", "30.0")


def test_headcounts_want_their_scope_and_are_reported(reports_api: ApiServer) -> None:
    url = f"{reports_api.url}/api/v1/checks"
    body = {"zone": "buzz-north", "people": 12, "at": "2026-11-17T13:00"}
    r = httpx.post(url, json=body, headers={"Authorization": f"Bearer {WRITER}"})
    assert r.status_code == 403 and "checks:write" in r.json()["detail"]
    r = httpx.post(url, json=body, headers={"Authorization": f"Bearer {CHECKER}"})
    assert r.status_code == 201, r.text
    assert r.json() == {"zone": "buzz-north", "at": "2026-11-17T13:00:00+01:00", "people": 12,
                        "sensor": "count", "sensor_people": 10, "error": -2}
    bad = httpx.post(url, json={**body, "zone": "entrance"},
                     headers={"Authorization": f"Bearer {CHECKER}"})
    assert bad.status_code == 400 and "no zone 'entrance'" in bad.json()["detail"]
    listed = get(reports_api, "/api/v1/checks", month="2026-11").json()
    assert listed["count"] == 1 and listed["data"][0]["error"] == -2
    acc = get(reports_api, "/api/v1/reports/accuracy", month="2026-11").json()
    assert acc["sensors"] == [{"sensor": "count", "checks": 1, "compared": 1, "mean_error": -2.0,
                               "mean_abs_error": 2.0, "within_share": 0.0, "zone": None}]
    r = get(reports_api, "/api/v1/reports/accuracy", month="2026-11", format="csv")
    assert r.text.splitlines()[1] == "buzz-north,count,1,1,-2.0,2.0,0.0"


def test_acoustics_lists_the_zones_with_a_microphone(reports_api: ApiServer) -> None:
    body = get(reports_api, "/api/v1/reports/acoustics", **DAYS).json()
    assert [(z["zone"], z["target_db"], z["open_h"], z["above_share"]) for z in body["zones"]] == [
        ("buzz-north", 65, 20.0, None), ("buzz-south", 65, 20.0, None)]
