"""The staff API: bearer tokens with scopes, and node health as the collector publishes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Literal

import httpx
import pytest
from pydantic import SecretStr

from api.main import create_app
from devstack.mosquitto import BrokerUsers, Mosquitto
from devstack.processes import free_port
from hubsense.contract import state_topic
from hubsense.layout import Layout, load_layout
from hubsense.passwords import new_secret
from hubsense.settings import ApiSettings, Credentials, MqttSettings, Settings, StaffToken
from tests.api.conftest import ApiServer, Publisher, eventually, start_api
from tests.conftest import ADMINS, EXAMPLE_LAYOUT

pytestmark = pytest.mark.services

GOOD = "staff-token-with-nodes-scope-7fK2q9Zx4mT"
WEAK = "staff-token-without-any-useful-scope-0123"
SCOPES: tuple[Literal["nodes:read", "reports:read", "events:write", "checks:write"], ...] = (
    "nodes:read", "reports:read", "events:write", "checks:write")
# The only /api/v1 routes open to anyone; every other one must want a scope.
PUBLIC = {("GET", p) for p in ("/api/v1/zones", "/api/v1/zones/{zone_id}", "/api/v1/desks",
                                "/api/v1/site", "/api/v1/stream", "/api/v1/health",
                                "/api/v1/openapi.json")} | {("POST", "/api/v1/feedback")}


def all_but(scope: str) -> str:
    """A token holding every scope except `scope`: the others must not stand in for it."""
    return f"staff-token-all-but-{scope.replace(':', '-')}-7fK2q9Zx4mT"


def _spec_routes() -> list[tuple[str, str, str | None]]:
    """(method, path, scope) of every /api/v1 operation in the real app's OpenAPI spec.

    The spec is built from the routes themselves, and each staff route states its
    scope in its security requirement: a new route cannot slip past these tests.
    """
    login = Credentials(username="api", password=SecretStr(new_secret()))
    app = create_app(Settings(api=ApiSettings(mqtt=login)), load_layout(EXAMPLE_LAYOUT))
    out: list[tuple[str, str, str | None]] = [("GET", "/api/v1/openapi.json", None)]
    for path, operations in app.openapi()["paths"].items():
        for method, op in operations.items():
            scopes = [s for req in op.get("security", []) for s in req.get("HTTPBearer", [])]
            assert len(scopes) <= 1, f"{method} {path} wants several scopes: {scopes}"
            if any("HTTPBasic" in req for req in op.get("security", [])):
                NODE_ROUTES.add(path)  # a node's own login, not a staff token (test_ota_api)
                continue
            out.append((method.upper(), path, scopes[0] if scopes else None))
    return out


NODE_ROUTES: set[str] = set()


ROUTES = _spec_routes()
assert {"/api/v1/ota/{release}/manifest", "/api/v1/ota/{release}/files/{path}"} == NODE_ROUTES
STAFF = [(m, p, s) for m, p, s in ROUTES if s is not None]


def test_every_api_route_is_public_by_name_or_wants_a_scope() -> None:
    unguarded = sorted({(m, p) for m, p, s in ROUTES if s is None} - PUBLIC)
    assert not unguarded, f"routes without a scope that are not listed as public: {unguarded}"
    assert {s for _m, _p, s in STAFF} == set(SCOPES), "every scope guards some route"
    assert len(STAFF) >= 13, "nodes, seven reports, list/add/delete events, list/add checks"


@pytest.fixture(scope="module")
def auth_api(tmp_path_factory: pytest.TempPathFactory,
              layout: Layout) -> Iterator[ApiServer]:
    # One server for the whole module: the auth matrix is long and needs no state.
    users = BrokerUsers.for_site(layout.site.id, [n.id for n in layout.nodes], admins=ADMINS)
    broker = Mosquitto(tmp_path_factory.mktemp("mosquitto"), free_port(), users).start()
    tokens = [StaffToken(name="facility", token=SecretStr(GOOD), scopes=["nodes:read"]),
              StaffToken.model_construct(name="screen", token=SecretStr(WEAK), scopes=[]),
              *(StaffToken(name=f"all-but-{s}", token=SecretStr(all_but(s)),
                           scopes=[o for o in SCOPES if o != s]) for s in SCOPES)]
    login = Credentials(username="api", password=SecretStr(users.passwords["api"]))
    settings = Settings(mqtt=MqttSettings(host=broker.host, port=broker.port),
                        api=ApiSettings(port=free_port(), mqtt=login, tokens=tokens))
    server = start_api(settings, layout)
    yield server
    server.stop()
    broker.stop()


@pytest.mark.parametrize(("method", "path", "scope"), STAFF,
                         ids=[f"{m} {p}" for m, p, _s in STAFF])
def test_staff_routes_refuse_missing_wrong_and_underscoped_tokens(
        auth_api: ApiServer, method: str, path: str, scope: str) -> None:
    url = auth_api.url + path.replace("{event_id}", "demo-night-20261118")
    # No query and no body: the token must be refused before anything else is looked at.
    for headers, status in [
            ({}, 401),
            ({"Authorization": "Bearer not-a-token-we-know-of-000000"}, 401),
            ({"Authorization": f"Basic {GOOD}"}, 401),
            ({"Authorization": f"Bearer {WEAK}"}, 403),
            ({"Authorization": f"Bearer {all_but(scope)}"}, 403)]:
        r = httpx.request(method, url, headers=headers)
        assert r.status_code == status, (headers, r.text)
        if status == 401:
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.json()["detail"] in ("a bearer token is required", "unknown token")
        else:
            assert r.json()["detail"] == f"this token lacks the '{scope}' scope"


@pytest.fixture
def staff_api(api_settings: Settings, layout: Layout) -> Iterator[ApiServer]:
    tokens = [StaffToken(name="facility", token=SecretStr(GOOD), scopes=["nodes:read"])]
    settings = api_settings.model_copy(update={"api": api_settings.api.model_copy(
        update={"tokens": tokens})})
    server = start_api(settings, layout)
    yield server
    server.stop()


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
    assert got == {**health, "id": "desk-q1", "implausible_counts": 0, "release": None,
                   "update": None}, \
        "the topic names the node, not the payload"
    body = httpx.get(f"{staff_api.url}/api/v1/nodes", headers=auth).json()
    assert [n["id"] for n in body["data"]] == [n.id for n in layout.nodes]
    never = body["data"][1]
    assert (never["online"], never["fresh"], never["last_seen_ms"], never["fw"]) == \
        (False, False, None, None), "no health published yet: offline, nothing invented"
