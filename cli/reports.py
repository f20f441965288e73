"""`hubsense report …`, `hubsense event …` and `hubsense rollup`: reports on the command line.

Every command reads the one config file (`-c`), talks to InfluxDB over the v1
API and prints to stdout; errors a user can fix (a bad date, a range over
`report.max_range_days`, an unknown zone) exit 2 with the message on stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from hubsense.influx import InfluxError, InfluxV1
from hubsense.layout import Layout, load_layout
from hubsense.settings import Settings, load_settings
from reports import export
from reports.chart import visits_svg
from reports.compare import compare, sides
from reports.events import (
    Event,
    EventName,
    delete_event,
    event_id,
    event_report,
    events_during,
    excluded_days,
    list_events,
    save_event,
)
from reports.hours import HOUR_MS, Calendar, Period, ReportRangeError, period_of, to_ms
from reports.rollup import Rollup
from reports.utilization import through, utilization
from reports.versions import Versions, load_versions
from reports.visits import visits

FORMATS = ("table", "json", "csv")
ALL_TIME = (0, 7_258_118_400_000)  # 1970 to 2200: events are few, list them all


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


@dataclass
class Context:
    settings: Settings
    versions: Versions
    db: InfluxV1

    @property
    def layout(self) -> Layout:
        return self.versions.current


@contextmanager
def context(config: str | None) -> Iterator[Context]:
    settings = load_settings(config)
    versions = load_versions(load_layout(settings.layout), settings)
    with InfluxV1(settings.influx) as db:
        yield Context(settings, versions, db)


def warn_if_not_rolled_up(ctx: Context, period: Period, through: datetime | None) -> None:
    """Say on stderr when the rollups stop before the period does: those hours are unknown."""
    cal = Calendar.from_settings(ctx.settings.report, ctx.layout.site.timezone)
    end = min(period.bounds(cal)[1], int(time.time() * 1000) // HOUR_MS * HOUR_MS)
    if through is None:
        print("hubsense: no rollups yet, so every hour counts as unknown: run "
              "`hubsense rollup --from FIRST --to LAST` (or the rollup service)", file=sys.stderr)
    elif to_ms(through) < end:
        print(f"hubsense: rollups reach {cal.local(to_ms(through)):%Y-%m-%d %H:%M}; later "
              "hours count as unknown until `hubsense rollup` catches up", file=sys.stderr)


def table(csv_text: str) -> str:
    """Align CSV as a plain-text table: the same columns as the CSV."""
    rows = list(csv.reader(io.StringIO(csv_text)))
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n"
                   for r in rows)


def emit(fmt: str, data: Any, csv_text: str, out: TextIO, summary: str = "") -> None:
    if fmt == "json":
        out.write(json.dumps(to_jsonable_python(data), indent=2) + "\n")
    elif fmt == "csv":
        out.write(csv_text)
    else:
        out.write(table(csv_text) + summary)


def cmd_utilization(args: argparse.Namespace, ctx: Context) -> None:
    period = period_of(args.first, args.last, args.month)
    r = utilization(ctx.db, ctx.layout, ctx.settings.report, period,
                    excluded_days(ctx.db, ctx.layout, ctx.settings.report, period,
                                  args.exclude_events))
    warn_if_not_rolled_up(ctx, period, r.rollups_through)
    flagged = [f"{u.id} {u.flag}" for u in r.zones if u.flag]
    emit(args.format, r, export.utilization_csv(r), sys.stdout,
         f"\nflags: {', '.join(flagged) or 'none'} (mean people / capacity in opening hours: "
         f"under {ctx.settings.report.underused_below:g}, "
         f"over {ctx.settings.report.overused_above:g})\n")


def cmd_visits(args: argparse.Namespace, ctx: Context) -> None:
    period = period_of(args.first, args.last, args.month)
    r = visits(ctx.db, ctx.layout, ctx.settings.report, period, args.by,
               excluded_days(ctx.db, ctx.layout, ctx.settings.report, period,
                                  args.exclude_events))
    warn_if_not_rolled_up(ctx, period, r.rollups_through)
    trend = "n/a" if r.trend is None else f"{r.trend:+.1%}"
    so_far = ""
    if r.partial and r.rollups_through is not None:
        cal = Calendar.from_settings(ctx.settings.report, ctx.layout.site.timezone)
        so_far = (f" (the period is not over: counted to "
                  f"{cal.local(to_ms(r.rollups_through)):%Y-%m-%d %H:%M}, the previous period "
                  "over as long)")
    emit(args.format, r, export.visits_csv(r), sys.stdout,
         f"\ntotal {r.total}, previous period {r.previous_total}, trend {trend}{so_far}\n")
    if args.chart:
        Path(args.chart).write_text(visits_svg(r), encoding="utf-8")
        print(f"chart written to {args.chart}", file=sys.stderr)


def cmd_compare(args: argparse.Namespace, ctx: Context) -> None:
    cfg = ctx.settings.report
    if bool(args.before) != bool(args.after):
        raise ReportRangeError("give both --before and --after")
    cal = Calendar.from_settings(cfg, ctx.layout.site.timezone)
    s = sides(ctx.versions, cfg, cal.local_date(int(time.time() * 1000)), args.days,
              (args.before, args.after) if args.before else None, args.layout_change,
              tuple(args.versions) if args.versions else None)
    both = Period(min(s.before.first, s.after.first), max(s.before.last, s.after.last))
    skip = excluded_days(ctx.db, ctx.layout, cfg, both, args.exclude_events)
    changes = compare(ctx.db, s.before_layout, cfg, s.before, s.after, skip, s.after_layout)
    warn_if_not_rolled_up(ctx, s.after, through(ctx.db, ctx.layout.site.id))
    va, vb = s.before_layout.version, s.after_layout.version
    emit(args.format, {"before": s.before, "after": s.after, "before_version": va,
                       "after_version": vb, "zones": changes},
         export.compare_csv(changes), sys.stdout,
         f"\nbefore {s.before.first}..{s.before.last} (layout v{va}), after "
         f"{s.after.first}..{s.after.last} (layout v{vb}); change: after - before, "
         "mean people / capacity\n")


def cmd_events_report(args: argparse.Namespace, ctx: Context) -> None:
    cfg = ctx.settings.report
    period = period_of(args.first, args.last, args.month).check(cfg.max_range_days)
    reps = [event_report(ctx.db, ctx.layout, cfg, e)
            for e in events_during(ctx.db, ctx.layout, cfg, period)]
    emit(args.format, reps, export.events_csv(reps), sys.stdout)


def local_time(cal: Calendar) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            t = datetime.fromisoformat(text)
        except ValueError:
            raise ReportRangeError(f"{text!r} is not a time like 2026-11-18T18:00") from None
        return to_ms(t if t.tzinfo else t.replace(tzinfo=cal.tz))

    return parse


def cmd_event_add(args: argparse.Namespace, ctx: Context) -> None:
    cal = Calendar.from_settings(ctx.settings.report, ctx.layout.site.timezone)
    parse = local_time(cal)
    start, end = parse(args.start), parse(args.end)
    ev = Event(args.id or event_id(args.name, cal.local_date(start)), args.name, start, end,
               tuple(args.zone))
    save_event(ctx.db, ctx.layout, ev)
    print(f"event {ev.id} saved")


def cmd_event_list(args: argparse.Namespace, ctx: Context) -> None:
    cfg = ctx.settings.report
    if args.first is None and args.last is None and args.month is None:
        events = list_events(ctx.db, ctx.layout, *ALL_TIME)
    else:
        events = events_during(ctx.db, ctx.layout, cfg,
                               period_of(args.first, args.last, args.month))
    emit(args.format, events, export.event_list_csv(events), sys.stdout)


def cmd_event_delete(args: argparse.Namespace, ctx: Context) -> None:
    found = [e for e in list_events(ctx.db, ctx.layout, *ALL_TIME) if e.id == args.id]
    if not found:
        raise ReportRangeError(f"no event {args.id!r}")
    for ev in found:
        delete_event(ctx.db, ctx.layout, ev)
    print(f"event {args.id} deleted")


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


def cmd_rollup(args: argparse.Namespace, ctx: Context) -> None:
    roll = Rollup(ctx.db, ctx.versions, ctx.settings.report)
    now_ms = int(time.time() * 1000)
    if args.first is None and args.last is None and args.month is None:
        bar = Progress(sys.stderr, None)
        n = roll.catch_up(now_ms, args.since, progress=bar)
    else:
        period = period_of(args.first, args.last, args.month)
        last = min(period.last, roll.cal.local_date(now_ms))  # never past now
        bar = Progress(sys.stderr, max(0, (last - period.first).days + 1))
        n = roll.run(period.first, last, until_ms=now_ms, progress=bar)
    bar.end()
    print(f"{n} rollup points written")


Command = Callable[[argparse.Namespace, Context], None]


def run(fn: Command) -> Callable[[argparse.Namespace], int]:
    """Wrap a command: open the context, turn what a user can fix into exit 2."""

    def go(args: argparse.Namespace) -> int:
        try:
            with context(args.config) as ctx:
                fn(args, ctx)
        except ValueError as exc:  # ReportRangeError, an invalid event, an unknown zone
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


def register(sub: Any) -> None:
    """Add `report`, `event` and `rollup` to the `hubsense` subcommands."""
    rep = sub.add_parser("report", help="utilization, visits, compare and event reports")
    rsub = rep.add_subparsers(dest="report", required=True)
    u = rsub.add_parser("utilization", help="per zone and desk: occupied, unknown, flags")
    v = rsub.add_parser("visits", help="visits per day, week or month, and the trend")
    v.add_argument("--by", choices=("day", "week", "month"), default="day")
    v.add_argument("--chart", metavar="OUT.svg", help="also write an SVG bar chart")
    for p, fn in ((u, cmd_utilization), (v, cmd_visits)):
        _common(p)
        p.add_argument("--exclude-events", action="store_true",
                       help="leave days with registered events out")
        p.set_defaults(fn=run(fn))
    c = rsub.add_parser("compare", help="two periods side by side per zone")
    _common(c, period=False)
    c.add_argument("--before", type=span, metavar="A..B|YYYY-MM")
    c.add_argument("--after", type=span, metavar="C..D|YYYY-MM")
    c.add_argument("--layout-change", type=day, metavar="DATE",
                   help="the day a layout took effect: compare the --days before and after")
    c.add_argument("--versions", type=int, nargs=2, metavar=("OLD", "NEW"),
                   help="two layout versions (report.earlier_layouts): the last --days of "
                        "OLD against the first --days of NEW")
    c.add_argument("--days", type=int, default=28)
    c.add_argument("--exclude-events", action="store_true")
    c.set_defaults(fn=run(cmd_compare))
    e = rsub.add_parser("events", help="visits and occupancy per registered event")
    _common(e)
    e.set_defaults(fn=run(cmd_events_report))

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
    ls = esub.add_parser("list", help="events (all, or those in a period)")
    _common(ls)
    ls.set_defaults(fn=run(cmd_event_list))
    rm = esub.add_parser("delete", help="delete an event by id")
    _common(rm, period=False, fmt=False)
    rm.add_argument("id")
    rm.set_defaults(fn=run(cmd_event_delete))

    ru = sub.add_parser("rollup", help="roll up a period, or catch up from the watermark to now")
    _common(ru, fmt=False)
    ru.add_argument("--since", type=day, metavar="DATE",
                    help="without a period: first day when there is no watermark yet")
    ru.set_defaults(fn=run(cmd_rollup))
