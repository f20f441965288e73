"""A node's recent health hour by hour, from its heartbeats: the small history behind
the console's node list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hubsense.influx import InfluxV1
from hubsense.measurements import NODE_HEARTBEAT
from reports.hours import HOUR_MS, Calendar
from reports.source import MS_NS


@dataclass(frozen=True)
class NodeHour:
    start: datetime  # local
    heartbeats: int  # 0: not heard from that hour
    heap_free_min: int | None = None
    rssi_mean: float | None = None
    drops_max: int | None = None  # offline-queue drops since boot, the most seen
    uptime_s_max: int | None = None


@dataclass(frozen=True)
class NodeHistory:
    node: str
    hours: list[NodeHour]


def node_history(db: InfluxV1, site: str, node: str, cal: Calendar, start_ms: int,
                 end_ms: int) -> NodeHistory:
    """Per hour in [start, end): heartbeats heard, least free heap, mean RSSI, drops."""
    q = (f"SELECT count(uptime_s), min(heap_free), mean(rssi), max(drops), max(uptime_s) "
         f"FROM {NODE_HEARTBEAT} WHERE site = $site AND node = $node AND time >= $start "
         "AND time < $end GROUP BY time(1h) fill(none)")
    got = {}
    for s in db.query(q, {"site": site, "node": node, "start": start_ms * MS_NS,
                          "end": end_ms * MS_NS}):
        for t, n, heap, rssi, drops, up in s.values:
            got[int(t)] = (int(n or 0), _int(heap), None if rssi is None else float(rssi),
                           _int(drops), _int(up))
    hours = []
    for t in range(start_ms - start_ms % HOUR_MS, end_ms, HOUR_MS):
        n, heap, rssi, drops, up = got.get(t, (0, None, None, None, None))
        hours.append(NodeHour(cal.local(t), n, heap, rssi, drops, up))
    return NodeHistory(node, hours)


def _int(v: Any) -> int | None:
    return None if v is None else int(v)
