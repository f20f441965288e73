"""Read the collector's raw series from InfluxDB (its schema, in one place).

The collector writes (collector/lines.py): `desk_state` (tags site, zone,
desk; field status) and `zone_state` (tags site, zone; fields status,
occupied, stale, capacity, ...) when a state changes, and `passage` (tags
site, zone, node, input; fields boot, in_total, out_total) per observation.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hubsense.influx import InfluxV1
from hubsense.measurements import DESK_STATE, PASSAGE, ZONE_STATE
from reports.passages import Sample
from reports.spans import Value

MS_NS = 1_000_000


def window(site: str, start_ms: int, end_ms: int) -> dict[str, Any]:
    """Bound parameters for `site = $site AND time >= $start AND time < $end`."""
    return {"site": site, "start": start_ms * MS_NS, "end": end_ms * MS_NS}


WHERE = "site = $site AND time >= $start AND time < $end"


def desk_value(status: str | None) -> Value:
    return {"occupied": 1, "free": 0}.get(status or "")


def zone_value(row: dict[str, Any]) -> Value:
    # A stale zone has an input we cannot trust: its count is unknown, not a low figure.
    if row.get("status") in (None, "unknown") or row.get("stale") or row.get("occupied") is None:
        return None
    return int(row["occupied"])


def desk_changes(db: InfluxV1, site: str, start_ms: int, end_ms: int
                 ) -> dict[str, list[tuple[int, Value]]]:
    """Desk status changes in [start, end), per desk."""
    out: dict[str, list[tuple[int, Value]]] = defaultdict(list)
    for s in db.query(f"SELECT status FROM {DESK_STATE} WHERE {WHERE} GROUP BY desk",
                      window(site, start_ms, end_ms)):
        out[s.tags["desk"]] = [(t, desk_value(v)) for t, v in s.values]
    return out


def desk_before(db: InfluxV1, site: str, at_ms: int) -> dict[str, Value]:
    """Each desk's state in force at `at` (its last change before)."""
    q = (f"SELECT last(status) FROM {DESK_STATE} WHERE site = $site AND time < $end "
         "GROUP BY desk")
    return {s.tags["desk"]: desk_value(s.values[0][1])
            for s in db.query(q, {"site": site, "end": at_ms * MS_NS})}


_ZONE_FIELDS = "status, occupied, stale"


def zone_changes(db: InfluxV1, site: str, start_ms: int, end_ms: int
                 ) -> dict[str, list[tuple[int, Value]]]:
    """Zone occupancy changes in [start, end), per zone."""
    out: dict[str, list[tuple[int, Value]]] = {}
    for s in db.query(f"SELECT {_ZONE_FIELDS} FROM {ZONE_STATE} WHERE {WHERE} GROUP BY zone",
                      window(site, start_ms, end_ms)):
        out[s.tags["zone"]] = [(r["time"], zone_value(r)) for r in s.rows()]
    return out


def zone_before(db: InfluxV1, site: str, at_ms: int) -> dict[str, Value]:
    """Each zone's occupancy in force at `at`."""
    # last() per field could mix points; the newest point's fields are read whole.
    out: dict[str, Value] = {}
    q = (f"SELECT {_ZONE_FIELDS} FROM {ZONE_STATE} WHERE site = $site AND time < $end "
         "GROUP BY zone ORDER BY time DESC LIMIT 1")
    for s in db.query(q, {"site": site, "end": at_ms * MS_NS}):
        out[s.tags["zone"]] = zone_value(s.rows()[0])
    return out


Door = tuple[str, str]  # (zone, node)


def passages(db: InfluxV1, site: str, start_ms: int, end_ms: int) -> dict[Door, list[Sample]]:
    """Entrance running totals in [start, end), per door."""
    out: dict[Door, list[Sample]] = {}
    for s in db.query(f"SELECT boot, in_total, out_total FROM {PASSAGE} WHERE {WHERE} "
                      "GROUP BY zone, node", window(site, start_ms, end_ms)):
        out[(s.tags["zone"], s.tags["node"])] = [Sample(*v) for v in s.values]
    return out


def passage_before(db: InfluxV1, site: str, at_ms: int) -> dict[Door, Sample]:
    """Each door's last running total before `at`: the baseline for the first delta."""
    q = (f"SELECT boot, in_total, out_total FROM {PASSAGE} WHERE site = $site AND time < $end "
         "GROUP BY zone, node ORDER BY time DESC LIMIT 1")
    return {(s.tags["zone"], s.tags["node"]): Sample(*s.values[0])
            for s in db.query(q, {"site": site, "end": at_ms * MS_NS})}
