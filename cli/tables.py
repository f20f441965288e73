"""Reports as plain-text tables for a terminal: at most 80 columns, figures to a sensible
precision (hours to a tenth, shares in whole percent); CSV and JSON keep full figures."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reports.accuracy import Accuracy, AccuracyReport, Check
from reports.acoustics import AcousticsReport
from reports.compare import CompareReport
from reports.events import EventInfo, EventReport
from reports.highlights import Highlight
from reports.hours import DAY_NAMES
from reports.today import TodayReport
from reports.utilization import Use, UtilizationReport
from reports.visits import VisitsReport

NONE = "-"
WIDTH = 80


def wrap(text: str) -> str:
    """Fold each line of prose to the width, continuation lines indented."""
    return "\n".join(textwrap.fill(line, WIDTH, subsequent_indent="  ", break_long_words=False,
                                   break_on_hyphens=False) for line in text.splitlines())


def hours(v: float | None) -> str:
    return NONE if v is None else f"{v:.1f}"


def share(v: float | None) -> str:
    return NONE if v is None else f"{v:.0%}"


def points(v: float | None) -> str:
    """A change of a share, in percentage points."""
    return NONE if v is None else f"{v * 100:+.0f} pts"


def num(v: float | None) -> str:
    return NONE if v is None else f"{v:.1f}"


def whole(v: int | None) -> str:
    return NONE if v is None else str(v)


def text(v: str | None) -> str:
    return v or NONE


def when(t: datetime) -> str:
    return f"{t:%Y-%m-%d %H:%M}"


def span(a: datetime, b: datetime) -> str:
    """`2026-11-18 18:00-21:00`, or both whole when the end is another day."""
    return f"{when(a)}-{b:%H:%M}" if a.date() == b.date() else f"{when(a)} - {when(b)}"


@dataclass(frozen=True)
class Col:
    head: str
    get: Callable[[Any], str]
    left: bool = False


def render(cols: Sequence[Col], rows: Sequence[Any]) -> str:
    """Align `rows` under the column heads: text left, figures right."""
    cells = [[c.head for c in cols], *([c.get(r) for c in cols] for r in rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cols))]
    return "".join("  ".join(v.ljust(w) if c.left else v.rjust(w)
                             for c, v, w in zip(cols, r, widths, strict=True)).rstrip() + "\n"
                   for r in cells)


def grouped(notes: Sequence[tuple[str, str]]) -> str:
    """`a, b: why` for each distinct reason, in the order first given, folded."""
    by: dict[str, list[str]] = {}
    for who, why in notes:
        by.setdefault(why, []).append(who)
    return "".join(wrap(f"{', '.join(who)}: {why}") + "\n" for why, who in by.items())


def _flag(u: Use) -> str:
    return (u.flag or "").replace("_", " ")


def utilization(r: UtilizationReport) -> str:
    zones = render([Col("zone", lambda u: u.id, left=True), Col("cap", lambda u: str(u.capacity)),
                    Col("open h", lambda u: hours(u.open_h)),
                    Col("occupied", lambda u: share(u.occupied_share)),
                    Col("unknown", lambda u: share(u.unknown_share)),
                    Col("mean", lambda u: num(u.mean_occupancy)),
                    Col("/cap", lambda u: share(u.mean_vs_capacity)),
                    Col("peak", lambda u: whole(u.peak)), Col("flag", _flag, left=True)],
                   r.zones)
    desks = render([Col("desk", lambda u: u.id, left=True), Col("zone", lambda u: u.zone,
                                                                  left=True),
                    Col("open h", lambda u: hours(u.open_h)),
                    Col("occupied h", lambda u: hours(u.occupied_h)),
                    Col("occupied", lambda u: share(u.occupied_share)),
                    Col("unknown", lambda u: share(u.unknown_share))], r.desks)
    notes = grouped([(u.id, f"insufficient data: {u.flag_reason}") for u in r.zones
                     if u.flag_reason])
    return "\n".join(filter(None, [zones, desks, notes]))


def visits(r: VisitsReport) -> str:
    last = r.rows[-1][0] if r.rows else None
    return render([Col(r.by, lambda x: x[0].isoformat(), left=True),
                   Col("visits", lambda x: str(x[1])),
                   Col("", lambda x: "so far" if r.in_progress and x[0] == last else "",
                       left=True)], r.rows)


def compare(r: CompareReport) -> str:
    def side(get: Callable[[Any], Use | None], f: Callable[[Use], str]) -> Callable[[Any], str]:
        def cell(c: Any) -> str:
            u = get(c)
            return NONE if u is None else f(u)

        return cell

    table = render([
        Col("zone", lambda c: c.zone, left=True),
        Col("cap before", side(lambda c: c.before, lambda u: str(u.capacity))),
        Col("/cap", side(lambda c: c.before, lambda u: share(u.mean_vs_capacity))),
        Col("cap after", side(lambda c: c.after, lambda u: str(u.capacity))),
        Col("/cap", side(lambda c: c.after, lambda u: share(u.mean_vs_capacity))),
        Col("change", lambda c: "cannot tell" if c.cannot_tell else
            points(c.mean_vs_capacity_change))], r.zones)
    return table + grouped([(c.zone, f"cannot tell: {c.cannot_tell}") for c in r.zones
                            if c.cannot_tell])


def event_list(events: Sequence[EventInfo]) -> str:
    return render([Col("event", lambda e: e.id, left=True),
                   Col("when", lambda e: span(e.start, e.end), left=True),
                   Col("zones", lambda e: " ".join(e.zones) or "(all)", left=True),
                   Col("name", lambda e: e.name if len(e.name) <= 30 else e.name[:29] + "…",
                       left=True)], events)


def events(reports: Sequence[EventReport]) -> str:
    out = []
    for r in reports:
        state = {"upcoming": "not started", "in_progress": "in progress, so far",
                 "over": ""}[r.status]
        usual = ("" if r.usual_visits is None else
                 f", usually {r.usual_visits:.0f} (mean of {len(r.usual_days)} same weekdays "
                 "without an event)")
        head = (f"{r.event.id}  {span(r.event.start, r.event.end)}  {r.event.name}\n"
                f"  visits {r.visits}{f' ({state})' if state else ''}{usual}\n")
        out.append(head + render([Col("  zone", lambda z: "  " + z.zone, left=True),
                           Col("mean", lambda z: num(z.mean_occupancy)),
                           Col("peak", lambda z: whole(z.peak)),
                           Col("unknown", lambda z: share(z.unknown_share))], r.zones))
    return "\n".join(out)


def highlights(found: Sequence[Highlight]) -> str:
    """`quiet: busiest tue-thu 10-12, 85 % of capacity`, a line each."""
    def days(h: Highlight) -> str:
        a, b = DAY_NAMES[h.first_day], DAY_NAMES[h.last_day]
        return a if a == b else f"{a}-{b}"

    return "\n".join(f"{h.zone}: busiest {days(h)} {h.first_hour:02d}-{h.end_hour:02d}, "
                     f"{h.share:.0%} of capacity" for h in found)


def today(r: TodayReport) -> str:
    rows = [("today so far", r.today), *([("typical", r.typical)] if r.typical else [])]
    return render([Col("", lambda x: x[0], left=True),
                   Col("visits", lambda x: num(x[1].visits)),
                   Col("peak people", lambda x: num(x[1].peak_people)),
                   Col("at", lambda x: NONE if x[1].peak_hour is None
                       else f"{x[1].peak_hour:02d}:00"),
                   Col("busiest zone", lambda x: text(x[1].busiest_zone), left=True),
                   Col("of capacity", lambda x: share(x[1].busiest_share))], rows)


def acoustics(r: AcousticsReport) -> str:
    return render([Col("zone", lambda z: z.zone, left=True),
                   Col("kind", lambda z: z.kind.value.replace("_", " "), left=True),
                   Col("target dB", lambda z: str(z.target_db)),
                   Col("open h", lambda z: hours(z.open_h)),
                   Col("measured", lambda z: share(z.measured_share)),
                   Col("above h", lambda z: hours(z.above_h)),
                   Col("above", lambda z: share(z.above_share))], r.zones)


def checks(found: Sequence[Check]) -> str:
    return render([Col("zone", lambda c: c.zone, left=True),
                   Col("at", lambda c: when(c.at), left=True),
                   Col("counted", lambda c: str(c.people)),
                   Col("sensor", lambda c: c.sensor, left=True),
                   Col("showed", lambda c: whole(c.sensor_people)),
                   Col("error", lambda c: NONE if c.error is None else f"{c.error:+d}")], found)


def accuracy(r: AccuracyReport) -> str:
    def rows(found: Sequence[Accuracy]) -> str:
        return render([Col("zone", lambda a: a.zone or "(all)", left=True),
                       Col("sensor", lambda a: a.sensor, left=True),
                       Col("checks", lambda a: str(a.checks)),
                       Col("compared", lambda a: str(a.compared)),
                       Col("mean error", lambda a: NONE if a.mean_error is None
                           else f"{a.mean_error:+.1f}"),
                       Col("mean |error|", lambda a: num(a.mean_abs_error)),
                       Col(f"within {r.tolerance}", lambda a: share(a.within_share))], found)

    return rows(r.zones) + "\n" + rows(r.sensors)
