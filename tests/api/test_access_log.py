"""The API's log never holds a client's address or a query string, with or without access log.

The API runs as its own process, as deployed, and the test reads what it wrote.
Requests come from 127.0.0.2, an address nothing else in the log would name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from api.accesslog import MAX_PATH, logged_path
from devstack.mosquitto import Mosquitto
from tests.api.conftest import ApiProcess, eventually, start_api_process

pytestmark = pytest.mark.services

CLIENT = "127.0.0.2"
SECRET = "token-in-a-query-9c1f"


def visit(api: ApiProcess) -> None:
    """A few requests from CLIENT, each carrying SECRET in its query string."""
    with httpx.Client(transport=httpx.HTTPTransport(local_address=CLIENT)) as client:
        assert client.get(f"{api.url}/api/v1/desks", params={"zone": "quiet",
                                                              "token": SECRET}).status_code == 200
        assert client.get(f"{api.url}/api/v1/zones/nowhere?token={SECRET}").status_code == 404
        assert client.get(f"{api.url}/api/v1/x%0Afake%20line?token={SECRET}").status_code == 404
        assert client.get(f"{api.url}/api/v1/zones?token={SECRET}",
                          headers={"Host": "attacker.example"}).status_code == 400


@pytest.fixture
def api_proc(tmp_path: Path, broker: Mosquitto) -> Iterator[Callable[..., ApiProcess]]:
    started: list[ApiProcess] = []

    def start(**api: object) -> ApiProcess:
        started.append(start_api_process(tmp_path, broker, **api))
        return started[-1]

    yield start
    for proc in started:
        proc.child.stop()


def stopped_log(api: ApiProcess) -> str:
    api.child.stop()
    return api.log()


def test_no_access_log_by_default(api_proc: Callable[..., ApiProcess]) -> None:
    api = api_proc()
    visit(api)
    log = stopped_log(api)
    assert "Uvicorn running" in log, "the log was read"
    assert CLIENT not in log and SECRET not in log
    assert "/api/v1/desks" not in log, "no access lines unless asked for"


def test_the_access_log_has_method_path_status_and_duration_only(
        api_proc: Callable[..., ApiProcess]) -> None:
    api = api_proc(access_log=True)
    visit(api)
    eventually(lambda: "/api/v1/zones" in api.log(), what="access lines written")
    log = stopped_log(api)
    lines = [ln.split("api.accesslog: ", 1)[1] for ln in log.splitlines()
             if "api.accesslog: " in ln]
    shapes = [re.sub(r"[0-9.]+ ms$", "N ms", ln) for ln in lines]
    assert shapes[-4:] == ["GET /api/v1/desks 200 N ms", "GET /api/v1/zones/nowhere 404 N ms",
                           "GET /api/v1/x%0Afake%20line 404 N ms",
                           "GET /api/v1/zones 400 N ms"]
    assert CLIENT not in log and SECRET not in log
    assert not any("fake line" in ln for ln in log.splitlines()), "no forged log line"


def test_a_logged_path_is_escaped_and_cut() -> None:
    assert logged_path({"raw_path": b"/a b\r\n\x1b[31m", "path": "/a b\r\n\x1b[31m"}) == \
        "/a%20b%0D%0A%1B%5B31m"
    long = logged_path({"raw_path": b"/" + b"x" * 1000, "path": ""})
    assert len(long) == MAX_PATH + 1 and long.endswith("…")
