"""GET /api/v1/stream: the current zones at once, then each change, over real SSE."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hubsense.layout import Layout
from tests.api.conftest import ApiServer, Publisher, zone_state

pytestmark = pytest.mark.services


def events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Parse `event:`/`data:` pairs from an event stream."""
    event, data = "message", ""
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif line == "" and data:
            yield event, json.loads(data)
            event, data = "message", ""


def status_of(body: dict[str, Any], zone_id: str) -> str:
    return str(next(z["status"] for z in body["data"] if z["id"] == zone_id))


def test_stream_sends_state_then_changes(api: ApiServer, publisher: Publisher,
                                         layout: Layout) -> None:
    with httpx.stream("GET", f"{api.url}/api/v1/stream", timeout=5) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        stream = events(r.iter_lines())
        kind, desks = next(stream)
        assert kind == "desks" and desks["count"] == 8
        assert {d["status"] for d in desks["data"]} == {"unknown"}
        kind, first = next(stream)
        assert kind == "zones"
        assert status_of(first, "quiet") == "unknown"

        publisher.collector("online")
        publisher.zone(zone_state(layout, "quiet", occupied=2))
        for kind, body in stream:  # each change is two events; read until it shows
            if kind == "zones" and status_of(body, "quiet") == "free":
                assert body["live"] is True
                break
