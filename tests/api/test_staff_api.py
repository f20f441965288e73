"""The staff API: bearer tokens with scopes, and node health as the collector publishes it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from hubsense.contract import state_topic
from hubsense.layout import Layout
from hubsense.settings import Settings, StaffToken
from tests.api.conftest import ApiServer, Publisher, eventually, start_api

pytestmark = pytest.mark.services

GOOD = "staff-token-with-nodes-scope-0123456789"
WEAK = "staff-token-without-any-useful-scope-0123"
STAFF_ROUTES = ["/api/v1/nodes"]


@pytest.fixture
def staff_api(api_settings: Settings, layout: Layout) -> Iterator[ApiServer]:
    tokens = [StaffToken(name="facility", token=SecretStr(GOOD), scopes=["nodes:read"]),
              StaffToken.model_construct(name="screen", token=SecretStr(WEAK), scopes=[])]
    settings = api_settings.model_copy(update={"api": api_settings.api.model_copy(
        update={"tokens": tokens})})
    server = start_api(settings, layout)
    yield server
    server.stop()


@pytest.mark.parametrize("route", STAFF_ROUTES)
@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401),
    ({"Authorization": "Bearer not-a-token-we-know-of-000000"}, 401),
    ({"Authorization": f"Basic {GOOD}"}, 401),
    ({"Authorization": f"Bearer {WEAK}"}, 403),
])
def test_staff_routes_refuse_missing_wrong_and_underscoped_tokens(
        staff_api: ApiServer, route: str, headers: dict[str, str], status: int) -> None:
    r = httpx.get(staff_api.url + route, headers=headers)
    assert r.status_code == status
    assert r.json()["detail"]
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"


def test_nodes_lists_published_health(staff_api: ApiServer, publisher: Publisher,
                                      layout: Layout) -> None:
    auth = {"Authorization": f"Bearer {GOOD}"}
    health = {"id": "spoofed", "online": True, "fresh": True, "last_seen_ms": 1795426010000,
              "last_heartbeat_ms": 1795426000000, "boot": "9f3a51c2", "fw": "0.1.0",
              "uptime_s": 3600, "heap_free": 61440, "rssi": -61, "drops": 2}
    publisher.publish(state_topic(layout.site.id, "node", "desk-q1"), json.dumps(health))

    def desk_q1() -> dict[str, object] | None:
        r = httpx.get(f"{staff_api.url}/api/v1/nodes", headers=auth)
        assert r.status_code == 200
        node: dict[str, object] = next(n for n in r.json()["data"] if n["id"] == "desk-q1")
        return node if node["fw"] else None

    got = eventually(desk_q1, what="desk-q1 health served")
    assert got == {**health, "id": "desk-q1"}, "the topic names the node, not the payload"
    body = httpx.get(f"{staff_api.url}/api/v1/nodes", headers=auth).json()
    assert [n["id"] for n in body["data"]] == [n.id for n in layout.nodes]
    never = body["data"][1]
    assert (never["online"], never["fresh"], never["last_seen_ms"], never["fw"]) == \
        (False, False, None, None), "no health published yet: offline, nothing invented"
