"""The HTTPS proxy docker-compose ships (deploy/caddy/Caddyfile), run with a real Caddy.

The very file compose mounts, with Debian's Caddy 2.6.2 (the version of the
compose image) in front of a real API process: only the values the Caddyfile
takes from the environment (ports, the certificate's directory, upstreams)
differ from compose.
"""

from __future__ import annotations

import shutil
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deploy.certs import TlsFiles, create_ca, issue_server_cert
from devstack.mosquitto import Mosquitto
from devstack.processes import Child, free_port, tcp_open, wait_until
from tests.api.conftest import ApiProcess, start_api_process
from tests.conftest import ROOT

pytestmark = pytest.mark.services

CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
PER_MIN = 6


@dataclass
class Proxy:
    https: str
    http: str
    ca: Path
    api: ApiProcess


@pytest.fixture
def proxy(tmp_path: Path, broker: Mosquitto) -> Iterator[Proxy]:
    exe = shutil.which("caddy")
    if exe is None:
        pytest.fail("caddy not found: apt-get install -y caddy")
    tls = TlsFiles(tmp_path / "tls")
    create_ca(tls, "hbg-works")
    issue_server_cert(tls, ["localhost"])
    https_port, http_port = free_port(), free_port()
    (tmp_path / "api").mkdir()
    api = start_api_process(tmp_path / "api", broker, trusted_proxies=["127.0.0.1"],
                            public_url=f"https://localhost:{https_port}/",
                            rate_limit_per_min=PER_MIN)
    env = {"HUBSENSE_HOST": "localhost", "HUBSENSE_HTTPS_PORT": str(https_port),
           "HUBSENSE_HTTP_PORT": str(http_port), "HUBSENSE_TLS_DIR": str(tls.dir),
           "HUBSENSE_API": f"127.0.0.1:{api.port}", "HUBSENSE_GRAFANA": f"127.0.0.1:{free_port()}",
           "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    caddy = Child("caddy", [exe, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
                  tmp_path / "caddy.log", env=env).start()
    try:
        wait_until(lambda: tcp_open("127.0.0.1", https_port), 20, "caddy", caddy.alive)
        yield Proxy(f"https://localhost:{https_port}", f"http://localhost:{http_port}",
                    tls.ca_crt, api)
    finally:
        caddy.stop()
        api.child.stop()


def client(p: Proxy, source: str = "127.0.0.1") -> httpx.Client:
    ctx = ssl.create_default_context(cafile=str(p.ca))
    return httpx.Client(verify=ctx, transport=httpx.HTTPTransport(verify=ctx,
                                                                  local_address=source))


def test_https_with_hsts_and_the_site_certificate(proxy: Proxy) -> None:
    with client(proxy) as c:
        r = c.get(f"{proxy.https}/api/v1/zones")
    assert r.status_code == 200 and r.json()["count"] > 0
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "server" not in r.headers  # no product and version handed out
    # A client that does not trust the site CA refuses the connection.
    with pytest.raises(httpx.ConnectError), httpx.Client() as plain:
        plain.get(f"{proxy.https}/api/v1/zones")


def test_plain_http_only_redirects(proxy: Proxy) -> None:
    r = httpx.get(f"{proxy.http}/api/v1/zones?x=1")
    assert r.status_code == 308
    assert r.headers["location"].startswith("https://localhost")
    assert "zones" not in r.text


def test_events_stream_through_the_proxy(proxy: Proxy) -> None:
    with client(proxy) as c, c.stream("GET", f"{proxy.https}/api/v1/stream",
                                      timeout=10) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        t0 = time.monotonic()
        lines = r.iter_lines()
        next(line for line in lines if line == "event: zones")
        zones = next(line for line in lines if line.startswith("data:"))
    assert time.monotonic() - t0 < 5 and '"quiet"' in zones


def test_each_visitor_keeps_an_allowance_and_cannot_forge_another(proxy: Proxy) -> None:
    """The API trusts X-Forwarded-For from the proxy only, and the proxy sets it to
    the real client: a forged header neither evades the limit nor uses up another's."""
    with client(proxy, "127.0.0.2") as c:
        codes = [c.get(f"{proxy.https}/api/v1/zones",
                       headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                 for i in range(PER_MIN + 2)]
    assert codes[:PER_MIN] == [200] * PER_MIN and codes[-1] == 429
    with client(proxy, "127.0.0.3") as other:
        assert other.get(f"{proxy.https}/api/v1/zones").status_code == 200
