"""One reports service under the command line, the staff API and the console.

Each method answers one question with typed results (dataclasses that
FastAPI and the command line serialise alike), so every surface gives the same
figure for the same question. Callers parse their input and format the
answer; which days count, which layout version, what "now" is, local time,
events left out and how rollups meet raw data are decided here and in the
modules it calls, once.

Errors a user can fix are `ValueError`s with a message to show as is
(`ReportRangeError` for a bad or too large period, `CheckError`, an invalid
event); `NotFound` names what is not there; `InfluxError` means the database
did not answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import Settings
from reports.accuracy import AccuracyReport, Check, accuracy, list_checks, record_check
from reports.acoustics import AcousticsReport, acoustics
from reports.compare import CompareReport, compare, sides
from reports.events import (
    Event,
    EventInfo,
    EventReport,
    delete_event,
    event_days,
    event_id,
    event_report,
    events_during,
    list_events,
    save_event,
    with_usual,
)
from reports.hours import (
    FIRST_DAY,
    HOUR_MS,
    LAST_DAY,
    Calendar,
    Period,
    ReportRangeError,
    to_ms,
)
from reports.nodes import NodeHistory, node_history
from reports.rollup import Rollup, watermark
from reports.timeline import Timeline
from reports.today import TodayReport, comparable_days, figures, same_time
from reports.utilization import UtilizationReport, utilization
from reports.versions import Versions
from reports.visits import By, VisitsReport, count, visits

# Events are few: "all of them" is every one from 1970 to 2200.
ALL_TIME = (0, to_ms(datetime(2200, 1, 1, tzinfo=UTC)))


class NotFound(LookupError):
    """What was asked for does not exist; the message names it."""


@dataclass(frozen=True)
class EventDraft:
    """An event to register; times without an offset are the site's local time."""

    name: str
    start: datetime | str
    end: datetime | str
    zones: tuple[str, ...] = ()
    id: str | None = None


@dataclass(frozen=True)
class CompareQuery:
    """Exactly one of: two periods, a layout-change day, or two layout versions."""

    before: Period | None = None
    after: Period | None = None
    layout_change: date | None = None
    versions: tuple[int, int] | None = None
    days: int = 28
    exclude_events: bool = False


@dataclass(frozen=True)
class LayoutVersion:
    version: int
    effective_from: date | None = None  # None: in force from the start
    last_day: date | None = None  # None: in force now


class ReportService:
    """Reports, events and accuracy checks of one site."""

    def __init__(self, db: InfluxV1, versions: Versions | Layout, settings: Settings,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.versions = versions if isinstance(versions, Versions) else Versions.of(versions)
        self.settings = settings
        self.cfg = settings.report
        self.clock = clock
        self.cal = Calendar.from_settings(self.cfg, self.layout.site.timezone)

    @property
    def layout(self) -> Layout:
        return self.versions.current

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def today(self) -> date:
        return self.cal.local_date(self.now_ms())

    def local_ms(self, t: datetime | str) -> int:
        """An instant from ISO text or a datetime; without an offset it is local time."""
        if isinstance(t, str):
            try:
                t = datetime.fromisoformat(t)
            except ValueError:
                raise ReportRangeError(f"{t!r} is not a time like 2026-11-18T18:00") from None
        if not FIRST_DAY <= t.date() <= LAST_DAY:
            raise ReportRangeError(f"{t.isoformat()} is outside {FIRST_DAY}..{LAST_DAY}")
        return to_ms(t if t.tzinfo else t.replace(tzinfo=self.cal.tz))

    def rollups_through(self) -> datetime | None:
        """How far the rollups reach (local), None before the first."""
        mark = watermark(self.db, self.layout.site.id)
        return None if mark is None else self.cal.local(mark)

    def _timeline(self) -> Timeline:
        return Timeline(self.db, self.versions.layouts, self.settings.state.stale_factor,
                        self.now_ms())

    def _event_days(self, period: Period, exclude: bool) -> tuple[frozenset[date], str]:
        """Days of `period` with registered events, and their ids, when asked to leave them out."""
        if not exclude:
            return frozenset(), ""
        found = events_during(self.db, self.layout, self.cfg, period)
        return event_days(found, self.cfg, self.layout), ", ".join(e.id for e in found)

    # Reports.

    def utilization(self, period: Period, exclude_events: bool = False) -> UtilizationReport:
        """Per zone and desk: opening hours occupied, free and unknown, means, peaks, flags."""
        days, ids = self._event_days(period, exclude_events)
        r = utilization(self.db, self.versions, self.cfg, period, days, self.now_ms())
        return replace(r, exclusion=f"{r.exclusion} ({ids})") if r.exclusion else r

    def visits(self, period: Period, by: By = "day", exclude_events: bool = False
               ) -> VisitsReport:
        """Visits so far per day, week or month, the peak hour and the trend."""
        days, ids = self._event_days(period, exclude_events)
        r = visits(self.db, self.layout, self.cfg, period, by, days, self.now_ms())
        return replace(r, exclusion=f"{r.exclusion} ({ids})") if r.exclusion else r

    def so_far_today(self, weeks: int | None = None) -> TodayReport:
        """Today so far against the mean of the last `weeks` same weekdays without a
        holiday or an event, each over the same stretch of the day."""
        weeks = weeks or self.settings.console.typical_weeks
        now, day = self.now_ms(), self.today()
        back = Period(day - timedelta(weeks=2 * weeks), day - timedelta(days=1))
        events = events_during(self.db, self.layout, self.cfg, back)
        skip = event_days(events, self.cfg, self.layout) | self.cal.holidays
        typical = sorted(comparable_days(day, weeks, skip))
        at = self.cal.local(now)
        site, mark = self.layout.site.id, watermark(self.db, self.layout.site.id)
        visits_now = sum(count(self.db, site, self.cal.midnight_ms(day), now, mark).values())
        mine = utilization(self.db, self.versions, self.cfg, Period(day, day), now_ms=now)
        hours = at.hour
        today = figures(mine, self.cal, day.weekday(), hours, visits_now)
        usual = None
        if typical:
            seen = [sum(count(self.db, site, self.cal.midnight_ms(d),
                              to_ms(same_time(d, at, self.cal)), mark).values())
                    for d in typical]
            span = Period(typical[0], typical[-1])
            others = frozenset(typical[0] + timedelta(days=i) for i in range(span.days))
            theirs = utilization(self.db, self.versions, self.cfg, span,
                                 others - set(typical), now)
            usual = figures(theirs, self.cal, day.weekday(), hours, sum(seen) / len(seen))
        return TodayReport(site, day, at, hours, today, usual, typical)

    def compare(self, q: CompareQuery) -> CompareReport:
        """Per zone, two periods or two layout versions side by side, and the change."""
        if (q.before is None) != (q.after is None):
            raise ReportRangeError("give both a before and an after period")
        s = sides(self.versions, self.cfg, self.today(), q.days,
                  (q.before, q.after) if q.before and q.after else None, q.layout_change,
                  q.versions)
        both = Period(min(s.before.first, s.after.first), max(s.before.last, s.after.last))
        days, ids = self._event_days(both, q.exclude_events)
        r = compare(self.db, self.versions, self.cfg, s.before, s.after, days, self.now_ms())
        return replace(r, exclusion=f"{r.exclusion} ({ids})") if r.exclusion else r

    def event_reports(self, period: Period) -> list[EventReport]:
        """Per event touching the period: visits and people per zone, so far."""
        period.check(self.cfg.max_range_days)
        timeline = self._timeline()
        weeks = self.settings.console.typical_weeks
        found = events_during(self.db, self.layout, self.cfg, period)
        out = []
        for e in found:
            day = self.cal.local_date(e.start_ms)
            # Every event near it, not just those of the period, stays out of the usual.
            near = events_during(self.db, self.layout, self.cfg,
                                 Period(day - timedelta(weeks=2 * weeks), day))
            skip = event_days(near, self.cfg, self.layout) | self.cal.holidays
            out.append(with_usual(self.db, self.layout.site.id, self.cal,
                                  event_report(self.db, self.layout, self.cal, e, timeline),
                                  comparable_days(day, weeks, skip)))
        return out

    def acoustics(self, period: Period) -> AcousticsReport:
        """Per zone with a microphone: share of opening hours above its kind's target."""
        return acoustics(self.db, self.versions, self.cfg, period, self.now_ms())

    def accuracy(self, period: Period) -> AccuracyReport:
        """Per zone and sensor kind: how far hubsense was from staff headcounts."""
        return accuracy(self.db, self.layout, self.cfg, period)

    def node_history(self, node: str, hours: int = 24) -> NodeHistory:
        """A layout node's last `hours` of heartbeats, hour by hour."""
        if self.layout.node(node) is None:
            raise NotFound(f"no node '{node}' in the layout")
        now = self.now_ms()
        return node_history(self.db, self.layout.site.id, node, self.cal,
                            now - (hours - 1) * HOUR_MS - now % HOUR_MS, now)

    def layouts(self) -> list[LayoutVersion]:
        """The layout versions reports know, oldest first: what compare can set side by side."""
        return [LayoutVersion(lay.version, lay.effective_from, self.versions.last_day(lay))
                for lay in self.versions.layouts]

    # Events.

    def events(self, period: Period | None = None) -> list[EventInfo]:
        """Every registered event, or those touching the period, oldest first."""
        if period is None:
            found = list_events(self.db, self.layout, *ALL_TIME)
        else:
            found = events_during(self.db, self.layout, self.cfg,
                                  period.check(self.cfg.max_range_days))
        return [EventInfo.of(e, self.cal) for e in found]

    def add_event(self, draft: EventDraft) -> EventInfo:
        """Register (or replace) an event; its zones must be in the layout."""
        start, end = self.local_ms(draft.start), self.local_ms(draft.end)
        ev = Event(draft.id or event_id(draft.name, self.cal.local_date(start)), draft.name,
                   start, end, tuple(draft.zones))
        save_event(self.db, self.layout, ev)
        return EventInfo.of(ev, self.cal)

    def delete_event(self, ident: str) -> None:
        """Delete the event with this id."""
        found = [e for e in list_events(self.db, self.layout, *ALL_TIME) if e.id == ident]
        if not found:
            raise NotFound(f"no event '{ident}'")
        for ev in found:
            delete_event(self.db, self.layout, ev)

    # Accuracy checks.

    def record_check(self, zone: str, people: int, at: datetime | str | None = None) -> Check:
        """Store a headcount of a zone (now, or at a local time) beside what hubsense showed."""
        at_ms = self.now_ms() if at is None else self.local_ms(at)
        return record_check(self.db, self.versions, self.cal, self._timeline(), zone, people,
                            at_ms)

    def checks(self, period: Period | None = None) -> list[Check]:
        """Recorded headcounts, all or in the period, oldest first."""
        bounds = ALL_TIME if period is None else period.check(
            self.cfg.max_range_days).bounds(self.cal)
        return list_checks(self.db, self.layout.site.id, self.cal, *bounds)

    # Rollups.

    def rollup(self, period: Period | None = None, since: date | None = None,
               progress: Callable[[date], None] | None = None) -> int:
        """Catch up from the watermark to now, or re-roll the days of `period` (not past now)."""
        roll = Rollup(self.db, self.versions, self.cfg, self.settings.state)
        now = self.now_ms()
        if period is None:
            return roll.catch_up(now, since, progress=progress)
        return roll.run(period.first, min(period.last, self.today()), until_ms=now,
                        progress=progress)
