"""Where to go now: the screen's two suggestions, decided from what the zones show.

"Quietest free spot": a zone with free places, below the filling threshold,
where one works (not a meeting area), and either measured calm (LAeq under
`state.lively_db`) or a quiet zone, which may qualify by its kind when its
level is not measured now — and says so. Quiet zones come first (that is what
they are for), measured ones by their level, then other measured calm zones.
Measured and assumed levels are never compared with each other.

"Room to talk": another zone with room where talking is welcome: a free
meeting area first, else the buzz zone or lounge with the most room.

When nothing qualifies there is no suggestion, and the screen says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from hubsense.layout import ZoneKind
from hubsense.state import Thresholds, ZoneState, ZoneStatus


class Why(StrEnum):
    MEASURED = "measured"  # its sound level, measured now, is calm
    QUIET_BY_KIND = "quiet_by_kind"  # a quiet zone whose level is not measured now
    MEETING_FREE = "meeting_free"  # a meeting area nobody uses
    ROOM = "room"  # a buzz zone or lounge with room


class Suggestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    zone: str
    why: Why


class Suggestions(BaseModel):
    model_config = ConfigDict(frozen=True)

    quiet: Suggestion | None
    talk: Suggestion | None


def room(z: ZoneState) -> int:
    """Free places known now: free desks, or capacity less the people counted."""
    if z.desks_total:
        return z.desks_free or 0
    if z.occupied is None:
        return 0
    return max(z.capacity - z.occupied, 0)


def _quiet(zones: Sequence[ZoneState], t: Thresholds) -> Suggestion | None:
    ranked: list[tuple[int, float, int, Suggestion]] = []
    for z in zones:
        if (not z.seatable or z.kind in (ZoneKind.MEETING_AREA, ZoneKind.ENTRANCE)
                or z.status is not ZoneStatus.FREE or room(z) <= 0):
            continue
        quiet_zone = z.kind is ZoneKind.QUIET_ZONE
        if z.laeq is not None:
            if z.laeq >= t.lively_db:
                continue  # lively or loud, whatever the zone is meant for
            ranked.append((0 if quiet_zone else 2, z.laeq, -room(z), Suggestion(
                zone=z.id, why=Why.MEASURED)))
        elif quiet_zone:
            ranked.append((1, 0.0, -room(z), Suggestion(zone=z.id, why=Why.QUIET_BY_KIND)))
    return min(ranked, key=lambda r: r[:3])[3] if ranked else None


def _talk(zones: Sequence[ZoneState], not_zone: str | None) -> Suggestion | None:
    others = [z for z in zones if z.id != not_zone and z.seatable]
    meetings = [z for z in others
                if z.kind is ZoneKind.MEETING_AREA and z.status is ZoneStatus.FREE]
    if meetings:
        return Suggestion(zone=meetings[0].id, why=Why.MEETING_FREE)
    social = [z for z in others if z.kind in (ZoneKind.BUZZ_ZONE, ZoneKind.LOUNGE)
              and z.status in (ZoneStatus.FREE, ZoneStatus.FILLING) and room(z) > 0]
    if not social:
        return None
    best = max(social, key=room)
    return Suggestion(zone=best.id, why=Why.ROOM)


def suggest(zones: Sequence[ZoneState], t: Thresholds) -> Suggestions:
    """Both suggestions for the zones as they show now."""
    quiet = _quiet(zones, t)
    return Suggestions(quiet=quiet, talk=_talk(zones, quiet.zone if quiet else None))
