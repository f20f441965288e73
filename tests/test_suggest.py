"""The screen's suggestions, case by case (hubsense.suggest): what a visitor can trust."""

from __future__ import annotations

from typing import Any

import pytest

from hubsense.layout import Layout
from hubsense.state import SEATABLE, Noise, Thresholds, ZoneState, ZoneStatus
from hubsense.suggest import Suggestion, Why, suggest

T = Thresholds()  # lively from 55 dB, filling from 0.6


def zone(layout: Layout, zone_id: str, status: str = "free", occupied: int | None = 0,
         laeq: float | None = None, **extra: Any) -> ZoneState:
    z = layout.zone(zone_id)
    assert z is not None
    desks = len(layout.desks_in(zone_id))
    noise = None if laeq is None else (Noise.LIVELY if laeq >= T.lively_db else Noise.CALM)
    fields: dict[str, Any] = {
        "id": z.id, "name": z.name, "kind": z.kind, "seatable": z.kind in SEATABLE,
        "capacity": z.capacity, "status": ZoneStatus(status), "occupied": occupied,
        "desks_total": desks, "desks_free": desks - (occupied or 0) if desks else None,
        "desks_unknown": 0, "laeq": laeq, "noise": noise, "stale": False, **extra}
    return ZoneState(**fields)


# Each case: the zones that differ from "everything full and unknown", then the two picks.
CASES: list[tuple[str, dict[str, dict[str, Any]], Suggestion | None, Suggestion | None]] = [
    ("nothing known: no suggestion, never a guess", {}, None, None),
    ("a measured calm quiet zone", {"quiet": {"occupied": 2, "laeq": 38.0}},
     Suggestion(zone="quiet", why=Why.MEASURED), None),
    ("a quiet zone without a level qualifies by its kind, and says so",
     {"quiet": {"occupied": 2}}, Suggestion(zone="quiet", why=Why.QUIET_BY_KIND), None),
    ("a lively buzz zone is never the quiet spot, however empty",
     {"buzz-north": {"occupied": 1, "laeq": 63.5}}, None,
     Suggestion(zone="buzz-north", why=Why.ROOM)),
    ("a buzz zone at 22 of 24 is filling, not a free spot",
     {"buzz-north": {"status": "filling", "occupied": 22, "laeq": 45.0}}, None,
     Suggestion(zone="buzz-north", why=Why.ROOM)),
    ("a calm buzz zone when the quiet zone is full",
     {"quiet": {"status": "full", "occupied": 8, "laeq": 36.0},
      "buzz-south": {"occupied": 3, "laeq": 48.0}},
     Suggestion(zone="buzz-south", why=Why.MEASURED), None),
    ("the quiet zone first, even measured louder than a calm buzz zone",
     {"quiet": {"occupied": 2, "laeq": 44.0}, "buzz-south": {"occupied": 3, "laeq": 41.0}},
     Suggestion(zone="quiet", why=Why.MEASURED),
     Suggestion(zone="buzz-south", why=Why.ROOM)),
    ("measured and assumed are not compared: the measured quiet zone wins",
     {"quiet": {"occupied": 2, "laeq": 50.0}, "lounge": {"occupied": 1}},
     Suggestion(zone="quiet", why=Why.MEASURED), Suggestion(zone="lounge", why=Why.ROOM)),
    ("a free meeting area is the room to talk",
     {"meet-b": {"occupied": 0}, "lounge": {"occupied": 1}}, None,
     Suggestion(zone="meet-b", why=Why.MEETING_FREE)),
    ("a meeting area in use is not",
     {"meet-a": {"status": "in_use", "occupied": 3}, "lounge": {"occupied": 10}}, None,
     Suggestion(zone="lounge", why=Why.ROOM)),
    ("the two suggestions are never the same zone",
     {"buzz-south": {"occupied": 2, "laeq": 40.0}},
     Suggestion(zone="buzz-south", why=Why.MEASURED), None),
    ("the most room to talk wins",
     {"buzz-north": {"occupied": 20, "status": "filling"}, "buzz-south": {"occupied": 4},
      "lounge": {"occupied": 6}}, None, Suggestion(zone="buzz-south", why=Why.ROOM)),
    ("partial knowledge: a reporting free desk is a free place",
     {"quiet": {"occupied": 1, "desks_free": 3, "desks_unknown": 4, "stale": True,
                "at_least": True}},
     Suggestion(zone="quiet", why=Why.QUIET_BY_KIND), None),
]


@pytest.mark.parametrize(("what", "changes", "quiet", "talk"), CASES, ids=[c[0] for c in CASES])
def test_suggestions(layout: Layout, what: str, changes: dict[str, dict[str, Any]],
                     quiet: Suggestion | None, talk: Suggestion | None) -> None:
    zones = [zone(layout, z.id, **changes[z.id]) if z.id in changes
             else zone(layout, z.id, status="unknown", occupied=None, stale=True)
             for z in layout.zones]
    got = suggest(zones, T)
    assert (got.quiet, got.talk) == (quiet, talk)
