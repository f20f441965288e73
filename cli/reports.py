"""`hubsense report|event|check|rollup`: reports on the command line, over reports.service.

Every command reads the one config file (`-c`), asks the reports service and
prints to stdout: a table of at most 80 columns, or `--format json|csv` with
the same figures as the staff API. Errors a user can fix (a bad date, a range
over `report.max_range_days`, an unknown zone or event) exit 2 with the
message on stderr; InfluxDB unreachable exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from cli import tables
from hubsense.influx import InfluxError, InfluxV1
from hubsense.layout import load_layout
from hubsense.settings import load_settings
from reports import export
from reports.chart import visits_svg
from reports.compare import Side
from reports.events import EventName
from reports.hours import Period, ReportRangeError, period_of
from reports.service import CompareQuery, EventDraft, NotFound, ReportService
from reports.versions import load_versions

FORMATS = ("table", "json", "csv")


def day(text: str) -> date:
    """Parse an ISO date for argparse (a bad one is a usage error, exit 2)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-10-31") from None


_EVENT_NAME: TypeAdapter[str] = TypeAdapter(EventName)


def event_name(text: str) -> str:
    """Check a new event's name as the API does (a bad one is a usage error, exit 2)."""
    try:
        return _EVENT_NAME.validate_python(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(
            exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def span(text: str) -> Period:
    """Parse `FIRST..LAST` or `YYYY-MM` into a period."""
    try:
        if ".." in text:
            a, b = text.split("..", 1)
            return Period(day(a), day(b))
        return Period.month(text)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


@contextmanager
def service(config: str | None) -> Iterator[ReportService]:
    settings = load_settings(config)
    versions = load_versions(load_layout(settings.layout), settings)
    with InfluxV1(settings.influx) as db:
        yield ReportService(db, versions, settings)


def period(args: argparse.Namespace) -> Period:
    return period_of(args.first, args.last, args.month)


def maybe_period(args: argparse.Namespace) -> Period | None:
    return None if args.first is None and args.last is None and args.month is None \
        else period(args)


def note(text: str) -> None:
    print(f"hubsense: {text}", file=sys.stderr)


def warn_if_not_rolled_up(counted: datetime | None, through: datetime | None) -> None:
    """Say on stderr when the rollups stop before the counted stretch does: those hours
    count as unknown."""
    if through is None:
        note("no rollups yet, so every hour counts as unknown: run "
             "`hubsense rollup --from FIRST --to LAST` (or the rollup service)")
    elif counted is not None and through < counted:
        note(f"rollups reach {through:%Y-%m-%d %H:%M}; later hours count as unknown until "
             "`hubsense rollup` catches up")


def emit(fmt: str, data: Any, csv_text: Callable[[], str], table: Callable[[], str],
         summary: str = "") -> None:
    out = sys.stdout
    if fmt == "json":
        out.write(json.dumps(to_jsonable_python(data), indent=2) + "\n")
    elif fmt == "csv":
        out.write(csv_text())
    else:
        out.write(table() + (f"\n{tables.wrap(summary)}\n" if summary else ""))


def so_far(in_progress: bool, counted: datetime | None) -> str:
    return (f"\nthe period is not over: counted to {counted:%Y-%m-%d %H:%M}"
            if in_progress and counted else "")


def cmd_utilization(args: argparse.Namespace, svc: ReportService) -> None:
    r = svc.utilization(period(args), args.exclude_events)
    warn_if_not_rolled_up(r.counted_through, r.rollups_through)
    flagged = [f"{u.id} {u.flag}" for u in r.zones if u.flag in ("underused", "overused")]
    cfg = svc.cfg
    emit(args.format, r, lambda: export.utilization_csv(r), lambda: tables.utilization(r),
         f"flags: {', '.join(flagged) or 'none'} (mean people / capacity in opening hours, "
         f"{r.opening_hours}: under {cfg.underused_below:g} underused, over "
         f"{cfg.overused_above:g} overused)"
         + (f"\nleft out: {', '.join(map(str, r.excluded_days))}: {r.exclusion}"
            if r.exclusion else "") + so_far(r.in_progress, r.counted_through)
         + (f"\n{tables.highlights(r.highlights)}" if r.highlights else ""))


def cmd_today(args: argparse.Namespace, svc: ReportService) -> None:
    r = svc.so_far_today()
    days = ", ".join(map(str, r.typical_days)) or "none yet"
    emit(args.format, r, lambda: export.today_csv(r), lambda: tables.today(r),
         f"{r.day} counted to {r.counted_through:%H:%M} (people: the hours before "
         f"{r.hours_before:02d}:00); typical: the mean of {days}, same weekdays without a "
         "holiday or an event, over the same stretch of the day")


def cmd_visits(args: argparse.Namespace, svc: ReportService) -> None:
    r = svc.visits(period(args), args.by, args.exclude_events)
    trend = "n/a" if r.trend is None else f"{r.trend:+.1%}"
    peak = "n/a" if r.peak_hour is None else \
        f"{r.peak_hour.start:%Y-%m-%d %H:%M} ({r.peak_hour.visits} visits)"
    stretch = ""
    if r.in_progress and r.counted_through and r.previous_through:
        stretch = (f"\nthe period is not over: counted to {r.counted_through:%Y-%m-%d %H:%M}, "
                   f"the previous period to {r.previous_through:%Y-%m-%d %H:%M}, as far in")
    base = ("no baseline (no whole day)" if r.baseline_per_day is None
            else f"baseline {r.baseline_per_day:.1f} per day")
    emit(args.format, r, lambda: export.visits_csv(r), lambda: tables.visits(r),
         f"total {r.total}, previous period {r.previous_total}, trend {trend}\n"
         f"peak hour {peak}, {base}"
         + (f"\nevent days {', '.join(map(str, r.excluded_days))}: {r.exclusion}"
            if r.exclusion else "") + stretch)
    if args.chart:
        Path(args.chart).write_text(visits_svg(r), encoding="utf-8")
        note(f"chart written to {args.chart}")


def cmd_compare(args: argparse.Namespace, svc: ReportService) -> None:
    if (args.before is None) != (args.after is None):
        raise ReportRangeError("give both --before and --after")
    r = svc.compare(CompareQuery(args.before, args.after, args.layout_change,
                                 tuple(args.versions) if args.versions else None, args.days,
                                 args.exclude_events))
    warn_if_not_rolled_up(None, svc.rollups_through())
    a, b = r.before, r.after

    def side(s: Side) -> str:
        days = f"{s.days} day{'' if s.days == 1 else 's'}"
        return (f"{s.first}..{s.last} ({days}, layout "
                f"{', '.join(f'v{v}' for v in s.versions) or 'none'})")

    emit(args.format, r, lambda: export.compare_csv(r), lambda: tables.compare(r),
         f"before {side(a)}, after {side(b)}\n"
         "/cap: mean people / capacity in opening hours; change: after - before, in "
         "percentage points"
         + (f"\nleft out: {', '.join(map(str, r.excluded_days))}: {r.exclusion}"
            if r.exclusion else ""))


def cmd_events_report(args: argparse.Namespace, svc: ReportService) -> None:
    reps = svc.event_reports(period(args))
    emit(args.format, reps, lambda: export.events_csv(reps), lambda: tables.events(reps))


def cmd_acoustics(args: argparse.Namespace, svc: ReportService) -> None:
    r = svc.acoustics(period(args))
    warn_if_not_rolled_up(r.counted_through, r.rollups_through)
    emit(args.format, r, lambda: export.acoustics_csv(r), lambda: tables.acoustics(r),
         f"above: share of the measured opening hours ({r.opening_hours}) with LAeq over the "
         "zone kind's target (report.noise_targets)" + so_far(r.in_progress, r.counted_through))


def cmd_accuracy(args: argparse.Namespace, svc: ReportService) -> None:
    r = svc.accuracy(period(args))
    emit(args.format, r, lambda: export.accuracy_csv(r), lambda: tables.accuracy(r),
         f"error: what hubsense showed - the headcount; within {r.tolerance}: share of the "
         "compared checks (report.accuracy_tolerance)")


def cmd_event_add(args: argparse.Namespace, svc: ReportService) -> None:
    ev = svc.add_event(EventDraft(args.name, args.start, args.end, tuple(args.zone), args.id))
    print(f"event {ev.id} saved: {tables.span(ev.start, ev.end)}")


def cmd_event_list(args: argparse.Namespace, svc: ReportService) -> None:
    found = svc.events(maybe_period(args))
    emit(args.format, found, lambda: export.event_list_csv(found),
         lambda: tables.event_list(found))


def cmd_event_delete(args: argparse.Namespace, svc: ReportService) -> None:
    svc.delete_event(args.id)
    print(f"event {args.id} deleted")


def cmd_check_add(args: argparse.Namespace, svc: ReportService) -> None:
    c = svc.record_check(args.zone, args.people, args.at)
    shown = "unknown" if c.sensor_people is None else str(c.sensor_people)
    print(f"check saved: {c.zone} at {tables.when(c.at)}: {c.people} counted, hubsense "
          f"showed {shown} ({c.sensor})")


def cmd_check_list(args: argparse.Namespace, svc: ReportService) -> None:
    found = svc.checks(maybe_period(args))
    emit(args.format, found, lambda: export.checks_csv(found), lambda: tables.checks(found))


class Progress:
    """One line on stderr: rewritten in place on a terminal, else at most one a second."""

    def __init__(self, out: TextIO, total: int | None) -> None:
        self.out, self.total, self.done = out, total, 0
        self.tty = out.isatty()
        self.shown_at = 0.0
        self.pending: date | None = None  # the last day, when not yet shown

    def __call__(self, d: date) -> None:
        self.done += 1
        self.pending = d
        now = time.monotonic()
        if self.tty or now - self.shown_at >= 1.0:
            self.shown_at = now
            self._show()

    def _show(self) -> None:
        if self.pending is None:
            return
        of = f"/{self.total}" if self.total else ""
        start, end = ("\r", "") if self.tty else ("", "\n")
        self.out.write(f"{start}rollup: {self.pending} ({self.done}{of} days){end}")
        self.out.flush()
        self.pending = None

    def end(self) -> None:
        """Show the last day reached, and end the line on a terminal."""
        self._show()
        if self.tty and self.done:
            self.out.write("\n")


def cmd_rollup(args: argparse.Namespace, svc: ReportService) -> None:
    p = maybe_period(args)
    total = None if p is None else max(0, (min(p.last, svc.today()) - p.first).days + 1)
    bar = Progress(sys.stderr, total)
    n = svc.rollup(p, args.since, progress=bar)
    bar.end()
    print(f"{n} rollup points written")


Command = Callable[[argparse.Namespace, ReportService], None]


def run(fn: Command) -> Callable[[argparse.Namespace], int]:
    """Wrap a command: open the service, turn what a user can fix into exit 2."""

    def go(args: argparse.Namespace) -> int:
        try:
            with service(args.config) as svc:
                fn(args, svc)
        except (ValueError, NotFound) as exc:  # a bad period, event, zone or check
            print(f"hubsense: {exc}", file=sys.stderr)
            return 2
        except InfluxError as exc:
            print(f"hubsense: InfluxDB: {exc}", file=sys.stderr)
            return 1
        return 0

    return go


def _common(p: argparse.ArgumentParser, period: bool = True, fmt: bool = True) -> None:
    p.add_argument("-c", "--config", help="TOML config file (or HUBSENSE_CONFIG)")
    if period:
        p.add_argument("--from", dest="first", type=day, metavar="DATE", help="first local day")
        p.add_argument("--to", dest="last", type=day, metavar="DATE", help="last local day")
        p.add_argument("--month", metavar="YYYY-MM", help="a whole month instead")
    if fmt:
        p.add_argument("--format", choices=FORMATS, default="table")


def _reports(sub: Any) -> None:
    rep = sub.add_parser("report", help="utilization, visits, compare, events, acoustics and "
                                        "accuracy reports")
    rsub = rep.add_subparsers(dest="report", required=True)
    u = rsub.add_parser("utilization", help="per zone and desk: occupied, unknown, flags")
    _common(u)
    u.add_argument("--exclude-events", action="store_true",
                   help="leave days with registered events out of every figure")
    u.set_defaults(fn=run(cmd_utilization))
    v = rsub.add_parser("visits", help="visits per day, week or month so far, and the trend")
    _common(v)
    v.add_argument("--by", choices=("day", "week", "month"), default="day")
    v.add_argument("--chart", metavar="OUT.svg", help="also write an SVG bar chart")
    v.add_argument("--exclude-events", action="store_true",
                   help="leave days with registered events out of the baseline per day (they "
                        "stay in the rows and the total)")
    v.set_defaults(fn=run(cmd_visits))
    c = rsub.add_parser("compare", help="two periods or layout versions side by side per zone")
    _common(c, period=False)
    c.add_argument("--before", type=span, metavar="A..B|YYYY-MM")
    c.add_argument("--after", type=span, metavar="C..D|YYYY-MM")
    c.add_argument("--layout-change", type=day, metavar="DATE",
                   help="the day a layout took effect: compare the --days before and after")
    c.add_argument("--versions", type=int, nargs=2, metavar=("OLD", "NEW"),
                   help="two layout versions (report.earlier_layouts): the last --days of "
                        "OLD against the first --days of NEW")
    c.add_argument("--days", type=int, default=28)
    c.add_argument("--exclude-events", action="store_true",
                   help="leave days with registered events out of both periods")
    c.set_defaults(fn=run(cmd_compare))
    for name, fn, text in (
            ("events", cmd_events_report, "visits and occupancy per registered event"),
            ("acoustics", cmd_acoustics, "per zone: share of opening hours above its noise "
                                         "target"),
            ("accuracy", cmd_accuracy, "hubsense's figures against staff headcounts")):
        p = rsub.add_parser(name, help=text)
        _common(p)
        p.set_defaults(fn=run(fn))
    t = rsub.add_parser("today", help="today so far against a typical same weekday")
    _common(t, period=False)
    t.set_defaults(fn=run(cmd_today))


def _events(sub: Any) -> None:
    ev = sub.add_parser("event", help="register, list and delete events")
    esub = ev.add_subparsers(dest="event", required=True)
    add = esub.add_parser("add", help="register an event (local times unless an offset is given)")
    _common(add, period=False, fmt=False)
    add.add_argument("name", type=event_name)
    add.add_argument("--start", required=True, metavar="2026-11-18T18:00")
    add.add_argument("--end", required=True, metavar="2026-11-18T21:00")
    add.add_argument("--zone", action="append", default=[], help="repeat; none: the whole site")
    add.add_argument("--id", help="default: from the name and the day")
    add.set_defaults(fn=run(cmd_event_add))
    ls = esub.add_parser("list", help="events (all, or those in a period), in local time")
    _common(ls)
    ls.set_defaults(fn=run(cmd_event_list))
    rm = esub.add_parser("delete", help="delete an event by id")
    _common(rm, period=False, fmt=False)
    rm.add_argument("id")
    rm.set_defaults(fn=run(cmd_event_delete))


def _checks(sub: Any) -> None:
    ch = sub.add_parser("check", help="record and list headcounts (accuracy checks)")
    csub = ch.add_subparsers(dest="check", required=True)
    add = csub.add_parser("add", help="record the people counted in a zone, now or --at")
    _common(add, period=False, fmt=False)
    add.add_argument("zone")
    add.add_argument("people", type=int)
    add.add_argument("--at", metavar="2026-11-18T10:30", help="local time; default: now")
    add.set_defaults(fn=run(cmd_check_add))
    ls = csub.add_parser("list", help="recorded headcounts (all, or those in a period)")
    _common(ls)
    ls.set_defaults(fn=run(cmd_check_list))


def register(sub: Any) -> None:
    """Add `report`, `event`, `check` and `rollup` to the `hubsense` subcommands."""
    _reports(sub)
    _events(sub)
    _checks(sub)
    ru = sub.add_parser("rollup", help="roll up a period, or catch up from the watermark to now")
    _common(ru, fmt=False)
    ru.add_argument("--since", type=day, metavar="DATE",
                    help="without a period: first day when there is no watermark yet")
    ru.set_defaults(fn=run(cmd_rollup))

