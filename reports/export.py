"""CSV of reports, for spreadsheets: one header row, plain numbers, ISO dates.

Text that a spreadsheet would run as a formula (OWASP's CSV injection: a cell
starting with =, +, -, @, tab or CR) gets a leading single quote; numbers stay
numbers, negative ones included.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from reports.accuracy import AccuracyReport, Check
from reports.acoustics import AcousticsReport
from reports.compare import CompareReport
from reports.events import EventInfo, EventReport
from reports.nodes import NodeHistory
from reports.today import TodayReport
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
               "peak_vs_capacity", "flag", "flag_reason", "known_outside_h")


def _use(kind: str, u: Use) -> list[Any]:
    return [kind, u.id, u.zone, u.capacity, u.open_h, u.occupied_h, u.free_h, u.unknown_h,
            u.occupied_share, u.unknown_share, u.mean_occupancy, u.mean_vs_capacity, u.peak,
            u.peak_vs_capacity, u.flag, u.flag_reason, u.known_outside_h]


def utilization_csv(r: UtilizationReport) -> str:
    return _csv(USE_COLUMNS, [*(_use("zone", u) for u in r.zones),
                              *(_use("desk", u) for u in r.desks)])


def visits_csv(r: VisitsReport) -> str:
    return _csv((r.by, "visits"), [(d.isoformat(), n) for d, n in r.rows])


def event_list_csv(events: Iterable[EventInfo]) -> str:
    return _csv(("event", "name", "start", "end", "zones"),
                [(e.id, e.name, e.start.isoformat(), e.end.isoformat(), " ".join(e.zones))
                 for e in events])


def events_csv(reports: Iterable[EventReport]) -> str:
    return _csv(("event", "name", "start", "end", "status", "visits", "usual_visits",
                 "usual_days", "zone", "mean_occupancy", "peak", "unknown_share"),
                [(r.event.id, r.event.name, r.event.start.isoformat(), r.event.end.isoformat(),
                  r.status, r.visits, r.usual_visits, len(r.usual_days), z.zone,
                  z.mean_occupancy, z.peak, z.unknown_share)
                 for r in reports for z in r.zones])


def today_csv(r: TodayReport) -> str:
    def row(name: str, f: Any) -> list[Any]:
        return [name, f.visits, f.peak_people, f.peak_hour, f.busiest_zone, f.busiest_share]

    return _csv(("day", "visits", "peak_people", "peak_hour", "busiest_zone", "busiest_share"),
                [row(r.day.isoformat(), r.today),
                 *([row("typical", r.typical)] if r.typical else [])])


def node_history_csv(h: NodeHistory) -> str:
    return _csv(("node", "hour", "heartbeats", "heap_free_min", "rssi_mean", "drops_max",
                 "uptime_s_max"),
                [(h.node, x.start.isoformat(), x.heartbeats, x.heap_free_min, x.rssi_mean,
                  x.drops_max, x.uptime_s_max) for x in h.hours])


def nodes_csv(nodes: Iterable[Any]) -> str:
    return _csv(("node", "online", "fresh", "last_seen_ms", "fw", "uptime_s", "heap_free",
                 "rssi", "drops", "release", "update_release", "update_state"),
                [(n.id, n.online, n.fresh, n.last_seen_ms, n.fw, n.uptime_s, n.heap_free,
                  n.rssi, n.drops, n.release, n.update and n.update.release,
                  n.update and n.update.state) for n in nodes])


def compare_csv(r: CompareReport) -> str:
    def side(u: Use | None) -> list[Any]:
        return [None] * 4 if u is None else [u.capacity, u.mean_vs_capacity, u.occupied_share,
                                             u.flag]

    return _csv(("zone", "before_capacity", "before_mean_vs_capacity", "before_occupied_share",
                 "before_flag", "after_capacity", "after_mean_vs_capacity",
                 "after_occupied_share", "after_flag", "change", "occupied_share_change",
                 "cannot_tell"),
                [(c.zone, *side(c.before), *side(c.after), c.mean_vs_capacity_change,
                  c.occupied_share_change, c.cannot_tell) for c in r.zones])


def acoustics_csv(r: AcousticsReport) -> str:
    return _csv(("zone", "kind", "target_db", "open_h", "measured_h", "above_h", "above_share",
                 "measured_share"),
                [(z.zone, z.kind.value, z.target_db, z.open_h, z.measured_h, z.above_h,
                  z.above_share, z.measured_share) for z in r.zones])


def checks_csv(checks: Iterable[Check]) -> str:
    return _csv(("zone", "at", "people", "sensor", "sensor_people", "error"),
                [(c.zone, c.at.isoformat(), c.people, c.sensor, c.sensor_people, c.error)
                 for c in checks])


def accuracy_csv(r: AccuracyReport) -> str:
    return _csv(("zone", "sensor", "checks", "compared", "mean_error", "mean_abs_error",
                 "within_share"),
                [(a.zone or "(all)", a.sensor, a.checks, a.compared, a.mean_error,
                  a.mean_abs_error, a.within_share) for a in [*r.zones, *r.sensors]])
