"""GET /api/v1/zones against a real broker: retained state in, honest state out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hubsense.layout import Layout
from hubsense.settings import Settings
from hubsense.state import ZoneStatus
from tests.api.conftest import ApiServer, Publisher, eventually, start_api, zone_state

pytestmark = pytest.mark.services


def zones(api: ApiServer) -> dict[str, Any]:
    r = httpx.get(f"{api.url}/api/v1/zones", timeout=5)
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def zone(api: ApiServer, zone_id: str) -> dict[str, Any]:
    return next(z for z in zones(api)["data"] if z["id"] == zone_id)


def test_every_zone_is_unknown_before_any_state(api: ApiServer, layout: Layout) -> None:
    body = zones(api)
    assert body["live"] is False
    assert [z["id"] for z in body["data"]] == [z.id for z in layout.zones]
    assert {z["status"] for z in body["data"]} == {"unknown"}
    assert all(z["stale"] and z["occupied"] is None for z in body["data"])


def test_published_zone_state_is_served(api: ApiServer, publisher: Publisher,
                                        layout: Layout) -> None:
    publisher.collector("online")
    publisher.zone(zone_state(layout, "quiet", occupied=3))
    got = eventually(lambda: (z := zone(api, "quiet"))["status"] == "free" and z,
                     what="quiet reported free")
    assert got["occupied"] == 3
    assert got["desks_free"] == 5
    assert got["capacity"] == 8
    assert got["stale"] is False
    assert zones(api)["live"] is True
    # A zone with no state yet stays unknown, never free.
    assert zone(api, "lounge")["status"] == "unknown"

    publisher.zone(zone_state(layout, "quiet", ZoneStatus.FULL, occupied=8))
    eventually(lambda: zone(api, "quiet")["status"] == "full", what="quiet becomes full")


def test_collector_offline_makes_every_zone_unknown(api: ApiServer, publisher: Publisher,
                                                    layout: Layout) -> None:
    publisher.collector("online")
    publisher.zone(zone_state(layout, "buzz-north", occupied=2))
    eventually(lambda: zone(api, "buzz-north")["status"] == "free", what="buzz-north free")

    publisher.collector("offline")  # what the collector's last will says
    got = eventually(lambda: (z := zone(api, "buzz-north"))["status"] == "unknown" and z,
                     what="buzz-north unknown once the collector is offline")
    assert got["stale"] is True
    assert got["occupied"] is None
    assert got["last_seen_ms"] is not None, "the screen still needs 'last seen'"
    assert zones(api)["live"] is False

    publisher.collector("online")
    eventually(lambda: zone(api, "buzz-north")["status"] == "free", what="back to free")


def test_restarted_api_reads_retained_state_back(api_settings: Settings, api: ApiServer,
                                                 publisher: Publisher, layout: Layout) -> None:
    publisher.collector("online")
    publisher.zone(zone_state(layout, "meet-a", occupied=1))
    eventually(lambda: zone(api, "meet-a")["status"] == "free", what="meet-a free")
    api.stop()

    again = start_api(api_settings, layout)
    try:
        got = eventually(lambda: (z := zone(again, "meet-a"))["status"] == "free" and z,
                         what="state read back from retained messages")
        assert got["occupied"] == 1
    finally:
        again.stop()


def test_bad_state_messages_are_dropped_and_counted(api: ApiServer, publisher: Publisher,
                                                    layout: Layout) -> None:
    site = layout.site.id
    publisher.collector("online")
    publisher.publish(f"hubsense/v1/{site}/state/zone/quiet", b"{not json")
    publisher.publish(f"hubsense/v1/{site}/state/zone/nowhere",
                      zone_state(layout, "quiet").model_dump_json())
    publisher.publish(f"hubsense/v1/{site}/state/zone/lounge",
                      zone_state(layout, "quiet").model_dump_json())  # id != topic
    live = api.app.state.live
    eventually(lambda: sum(live.rejected.values()) == 3, what="three rejections")
    assert live.rejected == {"bad_payload": 2, "unknown_id": 1}
    assert zone(api, "quiet")["status"] == "unknown"
    assert zone(api, "lounge")["status"] == "unknown"


def test_unknown_zone_is_a_clear_404(api: ApiServer) -> None:
    r = httpx.get(f"{api.url}/api/v1/zones/nowhere", timeout=5)
    assert r.status_code == 404
    assert "nowhere" in r.json()["detail"]
    r = httpx.get(f"{api.url}/api/v1/zones/quiet", timeout=5)
    assert r.status_code == 200 and r.json()["id"] == "quiet"
