"""Desks, site plan, QR code, CORS and the rate limit, through the real app and broker."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from hubsense.contract import state_topic
from hubsense.layout import Layout
from hubsense.settings import Settings
from hubsense.state import DeskState, DeskStatus
from tests.api.conftest import ApiServer, Publisher, eventually, start_api

pytestmark = pytest.mark.services


def publish_desk(publisher: Publisher, desk: str, status: DeskStatus) -> None:
    state = DeskState(id=desk, zone="quiet", status=status, updated_ms=1795425997408)
    publisher.publish(state_topic(publisher.site, "desk", desk), state.model_dump_json())


def test_desks_filter_by_zone_and_free(api: ApiServer, publisher: Publisher) -> None:
    publisher.collector("online")
    publish_desk(publisher, "q-01", DeskStatus.FREE)
    publish_desk(publisher, "q-02", DeskStatus.OCCUPIED)

    def free_ids() -> list[str]:
        r = httpx.get(f"{api.url}/api/v1/desks", params={"zone": "quiet", "free": "true"})
        assert r.status_code == 200
        return [d["id"] for d in r.json()["data"]]

    assert eventually(free_ids, what="q-01 free") == ["q-01"]
    rest = httpx.get(f"{api.url}/api/v1/desks", params={"free": "false"}).json()
    assert rest["count"] == 7 and "q-01" not in [d["id"] for d in rest["data"]]
    statuses = {d["id"]: d["status"] for d in rest["data"]}
    assert statuses["q-02"] == "occupied" and statuses["q-03"] == "unknown"


@pytest.mark.parametrize(("params", "status"), [
    ({"zone": "nowhere"}, 404), ({"zone": "Bad Id!"}, 422), ({"free": "maybe"}, 422),
])
def test_desks_bad_parameters_are_clear_4xx(api: ApiServer, params: dict[str, str],
                                            status: int) -> None:
    r = httpx.get(f"{api.url}/api/v1/desks", params=params)
    assert r.status_code == status
    assert r.json()["detail"]


def test_site_plan_has_geometry_but_no_node_ids(api: ApiServer, layout: Layout) -> None:
    r = httpx.get(f"{api.url}/api/v1/site")
    assert r.status_code == 200
    site = r.json()
    assert (site["width"], site["height"]) == (layout.site.width, layout.site.height)
    assert site["language"] == "en"
    assert site["zones"][0]["shape"] == [list(p) for p in layout.zones[0].shape]
    text = json.dumps(site)
    for node in layout.nodes:
        if layout.zone(node.id) is None:  # some nodes share a zone's id by design
            assert f'"{node.id}"' not in text
    assert "nodes" not in site and "inputs" not in text


def test_qr_code_is_svg_of_the_public_url(api_settings: Settings, layout: Layout) -> None:
    settings = api_settings.model_copy(update={"api": api_settings.api.model_copy(
        update={"public_url": "https://hub.example/screen"})})
    server = start_api(settings, layout)
    try:
        r = httpx.get(f"{server.url}/qr.svg")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("image/svg+xml")
        assert r.text.lstrip().startswith("<svg") and "<path" in r.text
    finally:
        server.stop()


def test_cors_origins_come_from_config(api_settings: Settings, layout: Layout) -> None:
    settings = api_settings.model_copy(update={"api": api_settings.api.model_copy(
        update={"cors_origins": ["https://allowed.example"], "rate_limit_per_min": 2})})
    server = start_api(settings, layout)
    allowed, evil = {"Origin": "https://allowed.example"}, {"Origin": "https://evil.example"}
    try:
        ok = httpx.get(f"{server.url}/api/v1/zones", headers=allowed)
        assert ok.headers.get("access-control-allow-origin") == "https://allowed.example"
        other = httpx.get(f"{server.url}/api/v1/zones", headers=evil)
        assert "access-control-allow-origin" not in other.headers
        ask = {"Access-Control-Request-Method": "GET"}
        pre = httpx.options(f"{server.url}/api/v1/desks", headers={**allowed, **ask})
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "https://allowed.example"
        assert httpx.options(f"{server.url}/api/v1/desks",
                             headers={**evil, **ask}).status_code == 400
        # The rate limit's refusal must be readable by the page that asked, Retry-After too.
        limited = httpx.get(f"{server.url}/api/v1/zones", headers=allowed)
        assert limited.status_code == 429
        assert limited.headers["access-control-allow-origin"] == "https://allowed.example"
        assert "retry-after" in limited.headers["access-control-expose-headers"].lower()
    finally:
        server.stop()


def test_rate_limit_refuses_with_429_per_client(api_settings: Settings, layout: Layout) -> None:
    settings = api_settings.model_copy(update={"api": api_settings.api.model_copy(
        update={"rate_limit_per_min": 5})})
    server = start_api(settings, layout)
    # Loopback answers on all of 127/8: a second source address is a second client.
    other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    try:
        codes = [httpx.get(f"{server.url}/api/v1/zones").status_code for _ in range(7)]
        assert codes == [200] * 5 + [429] * 2
        r = httpx.get(f"{server.url}/api/v1/zones")
        assert int(r.headers["retry-after"]) >= 1 and "too many" in r.json()["detail"]
        assert httpx.get(f"{server.url}/api/v1/desks").status_code == 429, "per client, not route"
        assert httpx.get(f"{server.url}/").status_code == 200, "the page itself is not limited"
        assert httpx.get(f"{server.url}/api/v1/health").status_code == 200, "nor the probe"
        spoofed = httpx.get(f"{server.url}/api/v1/zones", headers={"X-Forwarded-For": "10.0.0.9"})
        assert spoofed.status_code == 429, "X-Forwarded-For from an untrusted peer is ignored"
        assert [other.get(f"{server.url}/api/v1/zones").status_code for _ in range(5)] == \
            [200] * 5, "another client has its own allowance"
    finally:
        other.close()
        server.stop()


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_allowance(
        api_settings: Settings, layout: Layout) -> None:
    settings = api_settings.model_copy(update={"api": api_settings.api.model_copy(
        update={"rate_limit_per_min": 3, "trusted_proxies": ["127.0.0.1"]})})
    server = start_api(settings, layout)
    try:
        def codes(client: str) -> list[int]:
            return [httpx.get(f"{server.url}/api/v1/zones",
                              headers={"X-Forwarded-For": client}).status_code for _ in range(4)]

        assert codes("10.0.0.1") == [200] * 3 + [429]
        assert codes("10.0.0.2") == [200] * 3 + [429], "one visitor does not use up another's"
    finally:
        server.stop()


def test_the_api_documents_itself_without_a_cdn(api: ApiServer) -> None:
    """Swagger UI at /api/v1/docs, its scripts served here: nothing fetched elsewhere."""
    page = httpx.get(f"{api.url}/api/v1/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/api/v1/") for a in assets), assets
    for a in assets:
        assert httpx.get(f"{api.url}{a}").status_code == 200, a
    assert "/api/v1/openapi.json" in page.text
