"""Sensor health: nodes online, last heard, signal, memory, queue drops, coverage."""

from __future__ import annotations

from dashboards.panels import (
    SITE,
    SITE_VAR,
    WHERE,
    ZONE_VAR,
    Json,
    dashboard,
    panel,
    target,
    variable,
)
from hubsense.measurements import ZONE_HOUR
from hubsense.measurements import in_rollup_rp as measurement

NODE = '"node" =~ /^$node$/'


def build() -> Json:
    node_var = variable("node", "Node",
                        f'SHOW TAG VALUES FROM "node_heartbeat" WITH KEY = "node" WHERE {SITE}',
                        multi=True)
    hb = f'FROM "node_heartbeat" WHERE {SITE} AND {NODE} AND $timeFilter'
    return dashboard("hubsense-health", "hubsense: sensor health", [
        panel("table", "Nodes: online and last heartbeat", [
            target(f'SELECT last("online") AS "online" FROM "node_status" WHERE {SITE} '
                   f'AND {NODE} AND $timeFilter GROUP BY "node"', fmt="table", ref="A"),
            target(f'SELECT last("fw") AS "firmware", last("uptime_s") AS "uptime_s" {hb} '
                   'GROUP BY "node"', fmt="table", ref="B")], 0, 0, 24, 9,
            transformations=[{"id": "merge", "options": {}}]),
        panel("timeseries", "Wi-Fi signal (RSSI)", [target(
            f'SELECT mean("rssi") {hb} GROUP BY time($__interval), "node" fill(none)',
            alias="$tag_node")], 0, 9, 12, 8, unit="dBm"),
        panel("timeseries", "Free heap", [target(
            f'SELECT min("heap_free") {hb} GROUP BY time($__interval), "node" fill(none)',
            alias="$tag_node")], 12, 9, 12, 8, unit="bytes"),
        panel("timeseries", "Messages dropped from node queues", [target(
            f'SELECT max("drops") {hb} GROUP BY time($__interval), "node" fill(none)',
            alias="$tag_node")], 0, 17, 12, 8,
            description="Counted since boot by each node; any rise is lost data."),
        panel("bargauge", "Zone coverage: known share of time", [target(
            f'SELECT sum("known_s") / sum("span_s") FROM {measurement(ZONE_HOUR)} WHERE {WHERE} '
            'GROUP BY "zone"', alias="$tag_zone")], 12, 17, 12, 8, unit="percentunit"),
    ], [SITE_VAR, ZONE_VAR, node_var], time_from="now-24h", refresh="1m")
