"""Only trusted Host headers are answered, so the QR code never encodes a forged one."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from api.routes.screen import qr_svg
from hubsense.layout import Layout
from hubsense.settings import Settings
from tests.api.conftest import ApiServer, start_api

pytestmark = pytest.mark.services

FORGED = "attacker.example"


@pytest.fixture
def api_with(api_settings: Settings, layout: Layout) -> Iterator[Callable[..., ApiServer]]:
    started: list[ApiServer] = []

    def start(**api: object) -> ApiServer:
        conf = api_settings.api.model_copy(update=api)
        started.append(start_api(api_settings.model_copy(update={"api": conf}), layout))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def get(api: ApiServer, path: str, host: str) -> httpx.Response:
    return httpx.get(api.url + path, headers={"Host": host})


def test_a_forged_host_is_refused_everywhere_but_the_health_probe(
        api_with: Callable[..., ApiServer]) -> None:
    api = api_with()
    port = api.server.config.port
    for path in ("/", "/qr.svg", "/api/v1/zones", "/api/v1/openapi.json", "/static/screen.js"):
        r = get(api, path, f"{FORGED}:{port}")
        assert r.status_code == 400, path
        assert FORGED not in r.text
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "LOCALHOST"):
        assert get(api, "/api/v1/zones", host).status_code == 200, host
    # A probe may come with any Host; the answer is a constant that links nowhere.
    assert get(api, "/api/v1/health", FORGED).json() == {"status": "ok"}


def test_the_qr_code_is_built_from_the_trusted_host(api_with: Callable[..., ApiServer]) -> None:
    api = api_with()
    port = api.server.config.port
    r = get(api, "/qr.svg", f"localhost:{port}")
    assert r.status_code == 200
    assert r.content == qr_svg(f"http://localhost:{port}/")
    assert r.headers["vary"] == "Host", "a cache keeps one code per host"


def test_public_url_is_what_the_qr_code_opens_and_its_host_is_trusted(
        api_with: Callable[..., ApiServer]) -> None:
    public = "https://screen.hub.example/lobby"
    api = api_with(public_url=public, allowed_hosts=["hub-api.internal"])
    for host in ("screen.hub.example", "hub-api.internal:8443"):
        r = get(api, "/qr.svg", host)
        assert r.status_code == 200, host
        assert r.content == qr_svg(public)
        assert "vary" not in r.headers
    # The list replaces the loopback names; the probe still answers them.
    assert get(api, "/", f"127.0.0.1:{api.server.config.port}").status_code == 400
    assert get(api, "/api/v1/health", "localhost").status_code == 200
    assert get(api, "/qr.svg", FORGED).status_code == 400


def test_wildcards_match_subdomains_only(api_with: Callable[..., ApiServer]) -> None:
    api = api_with(allowed_hosts=["*.hub.example"])
    assert get(api, "/api/v1/site", "lobby.hub.example").status_code == 200
    for host in ("hub.example.attacker.example", "hubxhub.example", FORGED):
        assert get(api, "/api/v1/site", host).status_code == 400, host
