"""Nodes download their updates from the API, each logged in as itself (HTTP Basic against
the hashed node logins); staff list the releases. A real uvicorn and a real release store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from deploy.provision import NodeSecret, write_logins
from devstack.mosquitto import Mosquitto
from devstack.processes import free_port
from hubsense.layout import Layout
from hubsense.manifest import parse
from hubsense.nodekey import new_key, password
from hubsense.releases import ReleaseStore
from hubsense.settings import (
    ApiSettings,
    Credentials,
    FleetSettings,
    MqttSettings,
    Settings,
    StaffToken,
)
from tests.api.conftest import ApiServer, start_api

pytestmark = pytest.mark.services

STAFF = "staff-token-that-reads-nodes-9xQ2mW7pLk"
REPORTS = "staff-token-that-reads-reports-4vB8nC1zRt"
FIRMWARE = {"hubsense_node/app.mpy": bytes(range(256)) * 20,
            "hubsense_node/mqtt.mpy": b"M" * 100}


@pytest.fixture
def keys() -> dict[str, NodeSecret]:
    return {"desk-q1": NodeSecret(new_key()), "desk-q2": NodeSecret(new_key())}


@pytest.fixture
def ota_api(tmp_path: Path, broker: Mosquitto, layout: Layout,
            keys: dict[str, NodeSecret]) -> Iterator[tuple[ApiServer, Settings]]:
    logins = tmp_path / "nodes.passwd"
    write_logins(logins, keys)
    store = ReleaseStore(tmp_path / "releases")
    store.create(layout.site.id, "0.2.0", FIRMWARE,
                 {"desk-q1": {"config.json": b'{"node": "desk-q1"}'}},
                 {n: s.key for n, s in keys.items()}, 60)
    settings = Settings(
        mqtt=MqttSettings(host=broker.host, port=broker.port),
        api=ApiSettings(port=free_port(), mqtt=Credentials(
            username="api", password=SecretStr(broker.users.passwords["api"])), tokens=[
            StaffToken(name="ops", token=SecretStr(STAFF), scopes=["nodes:read"]),
            StaffToken(name="facility", token=SecretStr(REPORTS), scopes=["reports:read"])]),
        fleet=FleetSettings(node_logins=logins, releases_dir=store.root))
    server = start_api(settings, layout)
    yield server, settings
    server.stop()


def get(api: ApiServer, path: str, node: str | None, pw: str | None,
        **headers: str) -> httpx.Response:
    auth = (node, pw) if node and pw else None
    return httpx.get(api.url + path, auth=auth, headers=headers, timeout=10)


def test_a_node_downloads_its_own_release(ota_api: tuple[ApiServer, Settings],
                                          keys: dict[str, NodeSecret]) -> None:
    api, _ = ota_api
    key = keys["desk-q1"].key
    pw = password(key, 1)
    r = get(api, "/api/v1/ota/1/manifest", "desk-q1", pw)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    m = parse(r.content, key)  # tagged with its own key
    assert (m.node, m.release, m.version) == ("desk-q1", 1, "0.2.0")
    assert {f.path for f in m.files} == {"config.json", *FIRMWARE}
    assert get(api, "/api/v1/ota/1/files/config.json", "desk-q1", pw).content == \
        b'{"node": "desk-q1"}'
    app = get(api, "/api/v1/ota/1/files/hubsense_node/app.mpy", "desk-q1", pw)
    assert app.status_code == 200 and app.content == FIRMWARE["hubsense_node/app.mpy"]
    # The rest of a cut download.
    rest = get(api, "/api/v1/ota/1/files/hubsense_node/app.mpy", "desk-q1", pw,
               Range="bytes=4096-")
    assert rest.status_code == 206
    assert rest.content == FIRMWARE["hubsense_node/app.mpy"][4096:]
    size = len(FIRMWARE["hubsense_node/app.mpy"])
    assert rest.headers["content-range"] == f"bytes 4096-{size - 1}/{size}"


@pytest.mark.parametrize("who", ["nobody", "wrong password", "unknown node", "staff token"])
def test_only_a_node_s_own_login_gets_in(ota_api: tuple[ApiServer, Settings],
                                         keys: dict[str, NodeSecret], who: str) -> None:
    api, _ = ota_api
    node, pw, headers = {
        "nobody": (None, None, {}),
        "wrong password": ("desk-q1", password(keys["desk-q2"].key, 1), {}),
        "unknown node": ("desk-q9", password(keys["desk-q1"].key, 1), {}),
        "staff token": (None, None, {"Authorization": f"Bearer {STAFF}"}),
    }[who]
    r = get(api, "/api/v1/ota/1/manifest", node, pw, **headers)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")


def test_a_node_gets_nothing_that_is_not_its_own(ota_api: tuple[ApiServer, Settings],
                                                 keys: dict[str, NodeSecret]) -> None:
    api, _ = ota_api
    q2 = password(keys["desk-q2"].key, 1)
    q1 = password(keys["desk-q1"].key, 1)
    # desk-q2 is not in release 1: not its manifest, not desk-q1's config.
    assert get(api, "/api/v1/ota/1/manifest", "desk-q2", q2).status_code == 404
    assert get(api, "/api/v1/ota/1/files/config.json", "desk-q2", q2).status_code == 404
    assert get(api, "/api/v1/ota/1/files/hubsense_node/app.mpy", "desk-q2", q2).status_code == 404
    for path in ("node.key", "manifest", "../nodes/desk-q1/config.json", "..%2f..%2frelease.json",
                 "hubsense_node/x.mpy", "%2e%2e/release.json"):
        assert get(api, f"/api/v1/ota/1/files/{path}", "desk-q1", q1).status_code == 404, path
    assert get(api, "/api/v1/ota/2/manifest", "desk-q1", q1).status_code == 404


def test_a_removed_node_is_refused_at_its_next_request(ota_api: tuple[ApiServer, Settings],
                                                       keys: dict[str, NodeSecret]) -> None:
    api, settings = ota_api
    pw = password(keys["desk-q1"].key, 1)
    assert get(api, "/api/v1/ota/1/manifest", "desk-q1", pw).status_code == 200
    write_logins(settings.fleet.node_logins, {"desk-q2": keys["desk-q2"]})
    assert get(api, "/api/v1/ota/1/manifest", "desk-q1", pw).status_code == 401


def test_staff_list_releases_with_the_nodes_scope(ota_api: tuple[ApiServer, Settings]) -> None:
    api, _ = ota_api
    assert httpx.get(api.url + "/api/v1/releases", timeout=10).status_code == 401
    assert httpx.get(api.url + "/api/v1/releases", timeout=10,
                     headers={"Authorization": f"Bearer {REPORTS}"}).status_code == 403
    r = httpx.get(api.url + "/api/v1/releases", timeout=10,
                  headers={"Authorization": f"Bearer {STAFF}"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1
    assert body["data"][0] | {"created_ms": 0} == {
        "release": 1, "version": "0.2.0", "created_ms": 0, "rollback_s": 60,
        "nodes": {"desk-q1": "not offered"}}
