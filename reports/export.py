"""CSV of reports, for spreadsheets: one header row, plain numbers, ISO dates.

Text that a spreadsheet would run as a formula (OWASP's CSV injection: a cell
starting with =, +, -, @, tab or CR) gets a leading single quote; numbers stay
numbers, negative ones included.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from reports.compare import ZoneChange
from reports.events import Event, EventReport
from reports.utilization import Use, UtilizationReport
from reports.visits import VisitsReport

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(v: Any) -> Any:
    """One value as a CSV cell: empty for None, floats rounded, formula-like text defused."""
    if v is None:
        return ""
    if isinstance(v, float):
        return round(v, 4)
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([cell(v) for v in r])
    return buf.getvalue()


USE_COLUMNS = ("kind", "id", "zone", "capacity", "open_h", "occupied_h", "free_h", "unknown_h",
               "occupied_share", "unknown_share", "mean_occupancy", "mean_vs_capacity", "peak",
               "peak_vs_capacity", "flag")


def _use(kind: str, u: Use) -> list[Any]:
    return [kind, u.id, u.zone, u.capacity, u.open_h, u.occupied_h, u.free_h, u.unknown_h,
            u.occupied_share, u.unknown_share, u.mean_occupancy, u.mean_vs_capacity, u.peak,
            u.peak_vs_capacity, u.flag]


def utilization_csv(r: UtilizationReport) -> str:
    return _csv(USE_COLUMNS, [*(_use("zone", u) for u in r.zones),
                              *(_use("desk", u) for u in r.desks)])


def visits_csv(r: VisitsReport) -> str:
    return _csv((r.by, "visits"), [(d.isoformat(), n) for d, n in r.rows])


def when(ms: int) -> str:
    """UTC milliseconds as ISO 8601 with a Z."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def event_list_csv(events: Iterable[Event]) -> str:
    return _csv(("event", "name", "start", "end", "zones"),
                [(e.id, e.name, when(e.start_ms), when(e.end_ms), " ".join(e.zones))
                 for e in events])


def events_csv(reports: Iterable[EventReport]) -> str:
    return _csv(("event", "name", "start", "end", "visits", "zone", "mean_occupancy", "peak",
                 "unknown_share"),
                [(r.event.id, r.event.name, when(r.event.start_ms), when(r.event.end_ms),
                  r.visits, z.zone, z.mean_occupancy, z.peak, z.unknown_share)
                 for r in reports for z in r.zones])


def compare_csv(changes: Iterable[ZoneChange]) -> str:
    def side(u: Use | None) -> list[Any]:
        return [None] * 4 if u is None else [u.capacity, u.mean_vs_capacity, u.occupied_share,
                                             u.flag]

    return _csv(("zone", "before_capacity", "before_mean_vs_capacity", "before_occupied_share",
                 "before_flag", "after_capacity", "after_mean_vs_capacity",
                 "after_occupied_share", "after_flag", "change", "occupied_share_change"),
                [(c.zone, *side(c.before), *side(c.after), c.mean_vs_capacity_change,
                  c.occupied_share_change) for c in changes])
