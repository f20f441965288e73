"""How the simulated hub lives: who is where, how loud it is, who comes through the door.

One model for the live demo nodes (`hubsense up`, `hubsense simulate`: a day
compressed into minutes) and for the demo's history (devstack/history.py:
weeks written through the collector's own code), so the history and the live
nodes tell the same story: desks fill in the morning and empty at lunch, buzz
zones are quiet in the morning and lively in the afternoon, the lounge peaks
at lunch and coffee, meeting areas are booked in blocks, Fridays are quiet,
weekends and holidays empty, and events fill a zone and the entrance.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime

from hubsense.layout import Layout, Measure, ZoneKind

Curve = tuple[tuple[float, float], ...]
Reading = bool | int | float | tuple[int, int]  # presence, count, LAeq, (in, out) totals

# Share of a zone's capacity present at each local hour (linear in between).
_DESKS: Curve = ((0, 0), (7.5, 0), (8.5, 0.35), (10, 0.85), (11.8, 0.9), (12.2, 0.45),
                 (13.2, 0.55), (14, 0.8), (16, 0.7), (17.5, 0.25), (19, 0.02), (24, 0))
_BUZZ: Curve = ((0, 0), (8, 0), (9, 0.12), (11, 0.3), (12, 0.7), (13, 0.5), (14, 0.75),
                (15.5, 0.95), (17, 0.6), (18.5, 0.12), (20, 0.02), (24, 0))
_LOUNGE: Curve = ((0, 0), (8, 0), (9, 0.2), (11.5, 0.3), (12.3, 0.95), (13, 0.6),
                  (14.5, 0.35), (15.3, 0.7), (16, 0.4), (18, 0.1), (19, 0), (24, 0))
# For meeting areas: the chance that a meeting is on.
_MEETINGS: Curve = ((0, 0), (8.5, 0), (9, 0.6), (12, 0.6), (12.2, 0.15), (13, 0.7),
                    (16.5, 0.6), (17, 0.1), (18, 0), (24, 0))
CURVES: dict[ZoneKind, Curve] = {
    ZoneKind.QUIET_ZONE: _DESKS, ZoneKind.DESK_AREA: _DESKS, ZoneKind.BUZZ_ZONE: _BUZZ,
    ZoneKind.LOUNGE: _LOUNGE, ZoneKind.MEETING_AREA: _MEETINGS, ZoneKind.ENTRANCE: _DESKS,
}
# Monday … Sunday: a normal week, a quiet Friday, an empty weekend.
WEEKDAY = (0.85, 1.0, 1.0, 0.95, 0.6, 0.03, 0.02)
# Share of the people in a zone who are talking at a time.
TALKING = {ZoneKind.BUZZ_ZONE: 0.55, ZoneKind.LOUNGE: 0.45, ZoneKind.MEETING_AREA: 0.5,
           ZoneKind.QUIET_ZONE: 0.03, ZoneKind.DESK_AREA: 0.1, ZoneKind.ENTRANCE: 0.2}
# Of those inside, how many step out and back in per hour (lunch, a call).
CHURN_PER_HOUR = 0.3


def curve(points: Curve, hour: float) -> float:
    for (h0, v0), (h1, v1) in itertools.pairwise(points):
        if h0 <= hour <= h1:
            return v0 + (v1 - v0) * (hour - h0) / (h1 - h0)
    return 0.0


def laeq(kind: ZoneKind, people: float, event: bool, rng: random.Random) -> float:
    """LAeq (dB(A)) of a zone: a room's floor plus the talkers in it (incoherent sum),
    louder at an event. A full buzz zone is lively (55+), an event can be loud (70+)."""
    talkers = people * TALKING[kind]
    level = 38.0 + 17.0 * math.log10(1 + talkers) + (9.0 if event else 0.0)
    return round(min(max(level + rng.gauss(0, 1.2), 30.0), 110.0), 1)


@dataclass(frozen=True)
class Event:
    """Something on at the hub: fills `zone` and brings a crowd through the entrance."""

    name: str
    start: datetime  # local, aware
    end: datetime
    zone: str
    crowd: int  # people who come for it


@dataclass
class Calendar:
    """What is on when: holidays (closed) and events."""

    holidays: set[date] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)

    def event_at(self, when: datetime, zone: str | None = None) -> Event | None:
        return next((e for e in self.events if e.start <= when < e.end
                     and (zone is None or e.zone == zone)), None)


class HubModel:
    """Sensor readings of a layout at a local time; stateful where the world is
    (desks change hands now and then, the door's totals only grow)."""

    def __init__(self, layout: Layout, calendar: Calendar | None = None,
                 seed: int | None = None) -> None:
        self.layout = layout
        self.calendar = calendar or Calendar()
        self.rng = random.Random(seed)
        self._desks: dict[tuple[str, int], bool] = {}
        self._meetings: dict[str, int] = {}
        self._inside = 0
        self._door_at: datetime | None = None
        self.totals = [0, 0]  # the door's in and out since its boot
        self._places = sum(z.capacity for z in layout.zones if z.kind is not ZoneKind.ENTRANCE)
        # People who come to each zone: a new layout moves seats, not what people want.
        self._demand = {z.id: z.capacity for z in layout.zones}

    def use_layout(self, layout: Layout) -> None:
        """A new layout version: the same people, other zones and capacities (a zone that
        lost seats gets as many people as before, and fills up)."""
        self.layout = layout
        self._demand = {z.id: self._demand.get(z.id, z.capacity) for z in layout.zones}

    def reboot_door(self) -> None:
        """The entrance node restarted: its totals start again from zero."""
        self.totals = [0, 0]

    def share(self, zone_id: str, when: datetime) -> float:
        """Share of the zone's capacity present at `when` (local)."""
        zone = self.layout.zone(zone_id)
        if zone is None:
            return 0.0
        if self.calendar.event_at(when, zone_id) is not None:
            return 1.0
        if when.date() in self.calendar.holidays:
            return 0.0
        hour = when.hour + when.minute / 60
        return curve(CURVES[zone.kind], hour) * WEEKDAY[when.weekday()]

    def readings(self, when: datetime) -> dict[tuple[str, int], Reading]:
        """Every input's reading at `when`: presence, count, LAeq, or (in, out) totals."""
        out: dict[tuple[str, int], Reading] = {}
        for node in self.layout.nodes:
            for inp in node.inputs:
                zone_id = self.layout.zone_of(inp)
                out[(node.id, inp.n)] = self._reading(node.id, inp.n, inp.measures, zone_id,
                                                      when)
        return out

    def _reading(self, node: str, n: int, measure: Measure, zone_id: str,
                 when: datetime) -> Reading:
        zone = self.layout.zone(zone_id)
        assert zone is not None
        share = self.share(zone_id, when)
        if measure is Measure.PRESENCE:
            key = (node, n)
            # Desks change hands now and then, not at every reading.
            if self.rng.random() < 0.15 or key not in self._desks:
                self._desks[key] = self.rng.random() < share
            return self._desks[key]
        if measure is Measure.COUNT:
            if zone.kind is ZoneKind.MEETING_AREA:
                return self._meeting(zone_id, zone.capacity, share)
            mean = self._demand[zone_id] * share
            return min(max(0, round(self.rng.gauss(mean, 0.08 * mean + 0.4))), 1000)
        if measure is Measure.SOUND:
            event = self.calendar.event_at(when, zone_id) is not None
            return laeq(zone.kind, self._demand[zone_id] * share, event, self.rng)
        return self._door(when)

    def _meeting(self, zone_id: str, capacity: int, chance: float) -> int:
        """A booked meeting holds the area for a while, with a group of some size."""
        people = self._meetings.get(zone_id, 0)
        if self.rng.random() < 0.25:  # a meeting ends or starts about every hour or so
            people = (self.rng.randint(2, max(2, capacity))
                      if self.rng.random() < chance else 0)
            self._meetings[zone_id] = people
        return people

    def _door(self, when: datetime) -> tuple[int, int]:
        """Walk people in and out until the site holds its share; a crowd for an event,
        arriving over half an hour (a door counts people, not a flood)."""
        hour = when.hour + when.minute / 60
        closed = when.date() in self.calendar.holidays
        target = self._places * curve(_DESKS, hour) * (0.0 if closed else WEEKDAY[when.weekday()])
        event = self.calendar.event_at(when)
        if event is not None:
            target += event.crowd * min(1.0, (when - event.start).total_seconds() / 1800)
        inside = round(target)
        # Some go out and come back (lunch, a call): in proportion to those inside.
        hours = 0.0 if self._door_at is None else (when - self._door_at).total_seconds() / 3600
        self._door_at = when
        churn = self.rng.random() < inside * CHURN_PER_HOUR * min(hours, 1.0)
        step = inside - self._inside
        self.totals[0] += max(step, 0) + churn
        self.totals[1] += max(-step, 0) + churn
        self._inside = inside
        return self.totals[0], self.totals[1]
