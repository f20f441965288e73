"""Today so far against a typical same weekday: visits, the busiest hour's people, the
busiest zone.

"Typical" is the mean of the last few same weekdays that were neither holidays
nor event days, each counted over the same stretch as today: visits up to the
same local time, occupancy over the same whole hours. So a Tuesday at 11:00 is
set against Tuesday mornings, not against whole Tuesdays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from reports.hours import Calendar
from reports.utilization import UtilizationReport


@dataclass(frozen=True)
class DayFigures:
    visits: float  # entries so far (typical: the mean of the days)
    peak_people: float | None  # the busiest hour's mean people, all zones together
    peak_hour: int | None  # its local hour of the day (10: 10:00-11:00)
    busiest_zone: str | None  # the highest mean people / capacity in opening hours
    busiest_share: float | None


@dataclass(frozen=True)
class TodayReport:
    site: str
    day: date
    counted_through: datetime  # local: visits counted to here
    hours_before: int  # occupancy counted for the local hours before this one
    today: DayFigures
    typical: DayFigures | None  # None: no comparable day yet
    typical_days: list[date]  # same weekdays, not holidays, no events
    in_progress: bool = True


def comparable_days(today: date, weeks: int, skip: frozenset[date]) -> list[date]:
    """Up to `weeks` earlier same weekdays not in `skip`, newest first (looking back twice
    as far)."""
    out = []
    for k in range(1, 2 * weeks + 1):
        d = today - timedelta(weeks=k)
        if d not in skip:
            out.append(d)
        if len(out) == weeks:
            break
    return out


def figures(r: UtilizationReport, cal: Calendar, weekday: int, hours_before: int,
            visits: float) -> DayFigures:
    """The day's figures from a utilization report's hour-of-week profile, over the hours
    of `weekday` before `hours_before`."""
    hows = [weekday * 24 + h for h in range(hours_before)]
    people: dict[int, float] = {}
    for prof in r.profile.values():
        for how in hows:
            if prof[how] is not None:
                people[how] = people.get(how, 0.0) + (prof[how] or 0.0)
    peak = max(people.items(), key=lambda kv: (kv[1], -kv[0]), default=None)
    opened = {weekday * 24 + h for h in cal.open_hours_of(weekday)} & set(hows)
    best: tuple[float, str] | None = None
    for u in r.zones:
        vals = [v for how in sorted(opened) if (v := r.profile.get(u.id, [None] * 168)[how])
                is not None]
        if vals and u.capacity:
            share = sum(vals) / len(vals) / u.capacity
            if best is None or share > best[0]:
                best = (share, u.id)
    return DayFigures(visits, None if peak is None else peak[1],
                      None if peak is None else peak[0] % 24,
                      None if best is None else best[1], None if best is None else best[0])


def same_time(d: date, at: datetime, cal: Calendar) -> datetime:
    """`at`'s local time of day on day `d`."""
    return datetime.combine(d, time(at.hour, at.minute, at.second), cal.tz)
