"""Local time for reports: opening hours, holidays, local days and hours of the week.

All instants are UTC milliseconds; local wall-clock time is only ever built
through zoneinfo, so a day when the clock changes is 23 or 25 hours long and an
opening span that day is still the wall-clock span (08:00-17:00 stays 9 hours).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hubsense.settings import ReportSettings

HOUR_MS = 3_600_000
# Reports cover days in this range: a date far out would overflow the arithmetic.
FIRST_DAY, LAST_DAY = date(1971, 1, 1), date(2199, 12, 31)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def to_ms(dt: datetime) -> int:
    """Convert an aware datetime to UTC milliseconds."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: give a time zone")
    return int(dt.timestamp() * 1000)


@dataclass(frozen=True)
class Calendar:
    """Opening hours and holidays of one site, in its time zone."""

    tz: ZoneInfo
    opening: dict[int, tuple[time, time | None]]  # weekday -> (open, close; None = 24:00)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_settings(cls, cfg: ReportSettings, site_timezone: str) -> Calendar:
        opening: dict[int, tuple[time, time | None]] = {}
        for day, span in cfg.opening_hours.items():
            a, b = span.split("-")
            opening[DAY_NAMES.index(day)] = (time.fromisoformat(a),
                                            None if b == "24:00" else time.fromisoformat(b))
        return cls(ZoneInfo(cfg.timezone or site_timezone), opening, frozenset(cfg.holidays))

    def local(self, ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, UTC).astimezone(self.tz)

    def local_date(self, ms: int) -> date:
        return self.local(ms).date()

    def midnight_ms(self, d: date) -> int:
        """Start of a local day (zoneinfo resolves a gap or a fold the standard way)."""
        return to_ms(datetime.combine(d, time(0), self.tz))

    def days(self, start_ms: int, end_ms: int) -> Iterator[tuple[date, int, int]]:
        """Yield (local date, start, end) of each local day overlapping [start, end)."""
        d = self.local_date(start_ms)
        while True:
            a, b = self.midnight_ms(d), self.midnight_ms(d + timedelta(days=1))
            if a >= end_ms:
                return
            yield d, max(a, start_ms), min(b, end_ms)
            d += timedelta(days=1)

    def open_hours_of(self, weekday: int) -> range:
        """The local hours of the day (by their start) in opening hours on `weekday`."""
        span = self.opening.get(weekday)
        if span is None:
            return range(0)
        a, b = span
        return range(a.hour, 24 if b is None else b.hour + (1 if b.minute else 0))

    def is_open_day(self, d: date) -> bool:
        return d not in self.holidays and d.weekday() in self.opening

    def open_spans(self, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
        """Opening hours inside [start, end) as UTC ms spans, holidays left out."""
        out = []
        for d, _a, _b in self.days(start_ms, end_ms):
            if not self.is_open_day(d):
                continue
            o, c = self.opening[d.weekday()]
            a = to_ms(datetime.combine(d, o, self.tz))
            b = (self.midnight_ms(d + timedelta(days=1)) if c is None
                 else to_ms(datetime.combine(d, c, self.tz)))
            a, b = max(a, start_ms), min(b, end_ms)
            if a < b:
                out.append((a, b))
        return out

    def hour_of_week(self, ms: int) -> int:
        """0 = Monday 00:00-01:00 local, 167 = Sunday 23:00-24:00."""
        t = self.local(ms)
        return t.weekday() * 24 + t.hour


@dataclass(frozen=True)
class Period:
    """Whole local days, first to last inclusive: what every report covers."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ReportRangeError(f"period ends ({self.last}) before it starts ({self.first})")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self, cal: Calendar) -> tuple[int, int]:
        return cal.midnight_ms(self.first), cal.midnight_ms(self.last + timedelta(days=1))

    @classmethod
    def month(cls, text: str) -> Period:
        """The whole local month `YYYY-MM`."""
        m = re.fullmatch(r"(\d{4})-(\d{2})", text)
        if not m or not 1 <= int(m[2]) <= 12:
            raise ReportRangeError(f"{text!r} is not a month like 2026-10")
        if not FIRST_DAY.year <= int(m[1]) <= LAST_DAY.year:
            raise ReportRangeError(f"{text} is outside {FIRST_DAY}..{LAST_DAY}")
        first = date(int(m[1]), int(m[2]), 1)
        return cls(first, next_month(first) - timedelta(days=1))

    def check(self, max_days: int) -> Period:
        """Refuse a range that would scan more than the configured maximum."""
        if not (self.first >= FIRST_DAY and self.last <= LAST_DAY):
            raise ReportRangeError(f"{self.first}..{self.last} is outside "
                                   f"{FIRST_DAY}..{LAST_DAY}")
        if self.days > max_days:
            raise ReportRangeError(f"{self.first}..{self.last} is {self.days} days; reports "
                                   f"cover at most {max_days} (report.max_range_days)")
        return self

    def runs_without(self, skip: frozenset[date]) -> list[Period]:
        """Split into runs of consecutive days, leaving the `skip` days out."""
        out: list[Period] = []
        d, start = self.first, None
        while d <= self.last + timedelta(days=1):
            inside = d <= self.last and d not in skip
            if inside and start is None:
                start = d
            elif not inside and start is not None:
                out.append(Period(start, d - timedelta(days=1)))
                start = None
            d += timedelta(days=1)
        return out


def consecutive(days: Iterable[date]) -> list[Period]:
    """Sorted days as runs of consecutive days."""
    out: list[Period] = []
    for d in days:
        if out and out[-1].last + timedelta(days=1) == d:
            out[-1] = Period(out[-1].first, d)
        else:
            out.append(Period(d, d))
    return out


def month_start(d: date) -> date:
    return d.replace(day=1)


def next_month(d: date) -> date:
    """The first day of the month after `d`'s."""
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def whole_months(p: Period) -> list[Period]:
    """The calendar months lying wholly inside `p`, in order."""
    out = []
    m = p.first if p.first.day == 1 else next_month(p.first)
    while next_month(m) - timedelta(days=1) <= p.last:
        out.append(Period(m, next_month(m) - timedelta(days=1)))
        m = next_month(m)
    return out


def period_of(first: date | None, last: date | None, month: str | None) -> Period:
    """The period from first/last or a month; exactly one of the two forms."""
    if month is not None:
        if first is not None or last is not None:
            raise ReportRangeError("give a month or from/to dates, not both")
        return Period.month(month)
    if first is None or last is None:
        raise ReportRangeError("give a period: from and to (dates), or a month (YYYY-MM)")
    return Period(first, last)


class ReportRangeError(ValueError):
    """A report request too large or malformed; the message says the limit."""
