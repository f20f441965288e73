"""What hubsense keeps in InfluxDB: every measurement and retention policy by name.

The collector writes, the reports and rollups read and write, and the Grafana
dashboards query these; each takes the name from here, so renaming one is one
edit and a typo is an import error, not an empty panel.
"""

from __future__ import annotations

from hubsense.layout import Measure

# Raw observations, one per message (tags: site, zone, node, input, [desk]).
OBSERVATION: dict[Measure, str] = {
    Measure.PRESENCE: "presence",  # present
    Measure.COUNT: "zone_count",  # count
    Measure.SOUND: "sound",  # laeq, lamax
    Measure.PASSAGE: "passage",  # boot, in_total, out_total: running totals
}
PASSAGE = OBSERVATION[Measure.PASSAGE]
SOUND = OBSERVATION[Measure.SOUND]
VISITS = "visits"  # in, out: derived live from passage totals (hubsense.passages)
NODE_HEARTBEAT = "node_heartbeat"  # tags site, node: boot, fw, uptime_s, heap_free, drops, rssi
NODE_STATUS = "node_status"  # tags site, node: online, on each change
# The collector's own heartbeat (tag site; fields every_s, started), every
# collector.heartbeat_s while it runs: time it was not running is unknown (hubsense.downtime).
COLLECTOR_HEARTBEAT = "collector_heartbeat"

# What desks and zones showed, written on each change (hubsense.state), at the
# collector's time; `updated_ms` is the node's time of the newest observation behind it.
DESK_STATE = "desk_state"  # tags site, zone, desk: status, updated_ms
ZONE_STATE = "zone_state"  # tags site, zone: status, stale, capacity, occupied, updated_ms, …

# Events the hub team registers (reports/events.py).
EVENT = "hub_event"
# A staff member's headcount of a zone beside what the sensors said (reports/accuracy.py).
ACCURACY_CHECK = "accuracy_check"

# Visitors' "too loud" / "no seat" from the screen (reports/feedback.py): tags site, zone,
# kind; field count, the hour's running total, at the start of the hour.
FEEDBACK = "visitor_feedback"

# Rollups, in their own retention policy (reports/store.py, docs/reports.md).
ROLLUP_RP = "rollup"
DESK_DAY = "rollup_desk_day"
ZONE_HOUR = "rollup_zone_hour"
# What reports read: per zone and local day or month, the same sums, with the zone's
# hour-of-week profile and its desks' sums in a field each. InfluxDB 1.x pays per
# stored series and field: 168 hour-of-week series per zone, or a series per desk,
# cost more than their points, whatever the range (docs/reports.md).
ZONE_DAY = "rollup_zone_day"
ZONE_MONTH = "rollup_zone_month"
SOUND_HOUR = "rollup_sound_hour"  # per zone and hour: seconds of LAeq per whole dB, open hours
VISITS_HOUR = "rollup_visits_hour"
WATERMARK = "rollup_watermark"
EVENT_FIGURES = "rollup_event"  # per event: name and visits, for Grafana (no joins in InfluxQL)


def in_rollup_rp(name: str) -> str:
    """A rollup measurement as InfluxQL names it: in its retention policy."""
    return f'"{ROLLUP_RP}"."{name}"'
