"""Write routes decide on the token before they read a body, and a 422 never echoes input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from api.validation import MAX_ERRORS
from hubsense.layout import Layout
from hubsense.settings import Settings, StaffToken
from tests.api.conftest import ApiServer, start_api

pytestmark = pytest.mark.services

WRITER = "staff-token-events-write-7fK2q9Zx4mT"
READER = "staff-token-reports-only-7fK2q9Zx4mT"
EVENT = {"name": "Demo night", "start": "2026-11-18T18:00", "end": "2026-11-18T21:00"}
CANARY = "CANARY-7f3a-"  # a distinctive string that must never come back


@pytest.fixture
def writes_api(api_settings: Settings, layout: Layout) -> Iterator[ApiServer]:
    tokens = [StaffToken(name="hub-team", token=SecretStr(WRITER), scopes=["events:write"]),
              StaffToken(name="facility", token=SecretStr(READER), scopes=["reports:read"])]
    server = start_api(api_settings.model_copy(update={"api": api_settings.api.model_copy(
        update={"tokens": tokens, "rate_limit_per_min": 0})}), layout)
    yield server
    server.stop()


def post(api: ApiServer, body: bytes | str, token: str | None = WRITER,
         content_type: str = "application/json") -> httpx.Response:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{api.url}/api/v1/events", content=body, headers=headers)


MALFORMED = ['{"name": ', "not json", "", '{"name": "a", "name": "b"}', "[" * 60_000]


@pytest.mark.parametrize("body", MALFORMED, ids=["cut", "text", "empty", "dup", "deep"])
def test_the_token_is_refused_before_the_body_is_looked_at(writes_api: ApiServer,
                                                           body: str) -> None:
    for token, status in [(None, 401), ("not-a-token-we-know-of-000000", 401), (READER, 403)]:
        r = post(writes_api, body, token)
        assert r.status_code == status, (token, r.text)
    r = httpx.request("DELETE", f"{writes_api.url}/api/v1/events/demo-night-20261118",
                      content=body, headers={"Authorization": f"Bearer {READER}"})
    assert r.status_code == 403
    # With the right token the same body is read, and refused for what it is.
    assert post(writes_api, body).status_code == 422


def test_a_422_is_small_and_repeats_nothing_that_was_sent(writes_api: ApiServer) -> None:
    big = CANARY + "z" * 6000  # eight of them stay under the body limit
    body = {"name": big, "start": big, "end": big, "zones": [big] * 3, "id": big,
            "colour" * 1000: big}
    r = post(writes_api, json.dumps(body))
    assert r.status_code == 422
    assert CANARY not in r.text and len(r.content) < 2000, r.text[:500]
    errors = r.json()["detail"]
    assert all(set(e) == {"loc", "msg", "type"} for e in errors)
    assert {"name", "start", "end", "id"} <= {e["loc"][1] for e in errors}
    # An unknown key is named, so a misspelling can be found, but only its start.
    [extra] = [e for e in errors if e["type"] == "extra_forbidden"]
    assert extra["loc"] == ["body", "colour" * 6 + "col…"]

    # Many errors at once: a bounded list.
    many = post(writes_api, json.dumps({**EVENT, "zones": ["Bad Zone!"] * 64}))
    assert many.status_code == 422 and len(many.json()["detail"]) == MAX_ERRORS

    # Query parameters are not echoed either.
    q = httpx.get(f"{writes_api.url}/api/v1/desks", params={"zone": CANARY * 400})
    assert q.status_code == 422 and CANARY not in q.text
    assert q.json() == {"detail": [{"loc": ["query", "zone"], "type": "string_pattern_mismatch",
                                    "msg": "String should match pattern "
                                           "'^[a-z0-9][a-z0-9_-]{0,47}$'"}]}


def test_duplicate_keys_are_refused(writes_api: ApiServer) -> None:
    r = post(writes_api, '{"name": "Quiz", "start": "2026-11-17T18:00", '
                         '"end": "2026-11-17T20:00", "name": "=cmd"}')
    assert r.status_code == 422
    assert r.json()["detail"] == [{"loc": ["body"], "type": "json_duplicate_key",
                                   "msg": "duplicate key 'name'"}]
    nested = post(writes_api, json.dumps({**EVENT, "zones": []})[:-1] + ', "zones": []}')
    assert nested.json()["detail"][0]["msg"] == "duplicate key 'zones'"


@pytest.mark.parametrize(("body", "content_type", "message"), [
    (json.dumps(EVENT), "text/plain", "send the body as application/json"),
    ("", "application/json", "a JSON body is required"),
    ('{"name": "x",', "application/json", "JSON decode error: Expecting property name"),
    ("[" * 60_000, "application/json", "not JSON that can be read"),
    (b'{"name": "\xc3("}', "application/json", "not JSON that can be read"),  # not UTF-8
    ('{"name": ' + "9" * 5000 + "}", "application/json", "not JSON that can be read"),
])
def test_bodies_that_are_not_json_objects(writes_api: ApiServer, body: str | bytes,
                                          content_type: str, message: str) -> None:
    r = post(writes_api, body, content_type=content_type)
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"].startswith(message)


@pytest.mark.parametrize(("name", "code", "at"), [
    ("Demo\u202enight", "202E", 5), ("Demo\x00night", "0000", 5), ("\u2066Demo", "2066", 1),
    ("Demo\r\nnight", "000D", 5), ("Demo\x85", "0085", 5), ("Demo\u061c", "061C", 5)])
def test_event_names_refuse_control_and_bidi_characters(writes_api: ApiServer, name: str,
                                                        code: str, at: int) -> None:
    r = post(writes_api, json.dumps({**EVENT, "name": name}))
    assert r.status_code == 422
    assert r.json()["detail"] == [{
        "loc": ["body", "name"], "type": "value_error",
        "msg": f"must not contain control or bidi control characters (U+{code} at position {at})"}]
