"""Read the collector's raw series from InfluxDB (its schema, in one place).

The collector writes (collector/lines.py): `desk_state` (tags site, zone,
desk; fields status, updated_ms) and `zone_state` (tags site, zone; fields
status, occupied, stale, capacity, updated_ms, ...) when a state changes,
stamped with its own time; `passage` (tags site, zone, node, input; fields
boot, in_total, out_total) and `sound` (laeq, lamax) per observation, stamped
with the node's time; and its own heartbeat, `collector_heartbeat`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hubsense.downtime import Beat
from hubsense.influx import InfluxV1
from hubsense.measurements import COLLECTOR_HEARTBEAT, DESK_STATE, PASSAGE, SOUND, ZONE_STATE
from reports.passages import Sample, entries
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


@dataclass(frozen=True, slots=True)
class Change:
    """One stored state point: when the collector wrote it, what it says, and the node's
    time of the observation behind it (None: not recorded, or an unknown state)."""

    at_ms: int
    value: Value
    since_ms: int | None = None


ChangeReader = Callable[[InfluxV1, str, int, int], dict[str, list[Change]]]


def _since(row: dict[str, Any]) -> int | None:
    v = row.get("updated_ms")
    return None if v is None else int(v)


def desk_changes(db: InfluxV1, site: str, start_ms: int, end_ms: int
                 ) -> dict[str, list[Change]]:
    """Desk status changes in [start, end), per desk."""
    out: dict[str, list[Change]] = defaultdict(list)
    for s in db.query(f"SELECT status, updated_ms FROM {DESK_STATE} WHERE {WHERE} "
                      "GROUP BY desk", window(site, start_ms, end_ms)):
        out[s.tags["desk"]] = [Change(r["time"], desk_value(r["status"]), _since(r))
                               for r in s.rows()]
    return out


def desk_before(db: InfluxV1, site: str, at_ms: int) -> dict[str, Change]:
    """Each desk's last change before `at`: the state in force then."""
    q = (f"SELECT last(status) FROM {DESK_STATE} WHERE site = $site AND time < $end "
         "GROUP BY desk")
    return {s.tags["desk"]: Change(s.values[0][0], desk_value(s.values[0][1]))
            for s in db.query(q, {"site": site, "end": at_ms * MS_NS})}


_ZONE_FIELDS = "status, occupied, stale, updated_ms"


def zone_changes(db: InfluxV1, site: str, start_ms: int, end_ms: int
                 ) -> dict[str, list[Change]]:
    """Zone occupancy changes in [start, end), per zone."""
    out: dict[str, list[Change]] = {}
    for s in db.query(f"SELECT {_ZONE_FIELDS} FROM {ZONE_STATE} WHERE {WHERE} GROUP BY zone",
                      window(site, start_ms, end_ms)):
        out[s.tags["zone"]] = [Change(r["time"], zone_value(r), _since(r)) for r in s.rows()]
    return out


def zone_before(db: InfluxV1, site: str, at_ms: int) -> dict[str, Change]:
    """Each zone's last change before `at`: the occupancy in force then."""
    # last() per field could mix points; the newest point's fields are read whole.
    out: dict[str, Change] = {}
    q = (f"SELECT {_ZONE_FIELDS} FROM {ZONE_STATE} WHERE site = $site AND time < $end "
         "GROUP BY zone ORDER BY time DESC LIMIT 1")
    for s in db.query(q, {"site": site, "end": at_ms * MS_NS}):
        row = s.rows()[0]
        out[s.tags["zone"]] = Change(row["time"], zone_value(row))
    return out


def _beat(row: dict[str, Any]) -> Beat:
    return Beat(row["time"], int(row["every_s"] or 30), bool(row["started"]))


def collector_beats(db: InfluxV1, site: str, start_ms: int, end_ms: int) -> list[Beat]:
    """The collector's heartbeats in [start, end), with the one before and the one after."""
    fields = f"SELECT every_s, started FROM {COLLECTOR_HEARTBEAT} WHERE site = $site AND "
    params = window(site, start_ms, end_ms)
    before = db.query(fields + "time < $start ORDER BY time DESC LIMIT 1", params)
    inside = db.query(fields + "time >= $start AND time < $end", params)
    after = db.query(fields + "time >= $end ORDER BY time LIMIT 1", params)
    return [_beat(r) for part in (before, inside, after) for s in part for r in s.rows()]


def last_restart(db: InfluxV1, site: str, at_ms: int) -> int | None:
    """When the collector last started before `at` (None: never, as far as recorded)."""
    q = (f"SELECT started FROM {COLLECTOR_HEARTBEAT} WHERE site = $site AND started = true "
         "AND time < $end ORDER BY time DESC LIMIT 1")
    series = db.query(q, {"site": site, "end": at_ms * MS_NS})
    return int(series[0].values[0][0]) if series else None


Input = tuple[str, str, str]  # (zone, node, input number)


def sound_levels(db: InfluxV1, site: str, start_ms: int, end_ms: int
                 ) -> dict[Input, list[tuple[int, float]]]:
    """LAeq observations in [start, end), per microphone input, on the node's clock."""
    q = f"SELECT laeq FROM {SOUND} WHERE {WHERE} GROUP BY zone, node, input"
    return {(s.tags["zone"], s.tags["node"], s.tags["input"]): [(t, float(v)) for t, v in s.values]
            for s in db.query(q, window(site, start_ms, end_ms))}


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


def entries_between(db: InfluxV1, site: str, start_ms: int, end_ms: int
                    ) -> list[tuple[int, int]]:
    """(time, people in) of every door's totals in [start, end), read by the one rule
    from the total before (as the rollups read them hour by hour)."""
    before = passage_before(db, site, start_ms)
    return [e for door, samples in passages(db, site, start_ms, end_ms).items()
            for e in entries(samples, before.get(door))]
