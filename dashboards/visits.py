"""Visits and events: entries per day and hour, and the registered events."""

from __future__ import annotations

from dashboards.panels import DATASOURCE, SITE, SITE_VAR, TZ, Json, dashboard, panel, target
from hubsense.measurements import EVENT as EVENTS
from hubsense.measurements import EVENT_FIGURES, VISITS_HOUR
from hubsense.measurements import in_rollup_rp as measurement

VISITS, EVENT_FIGURES = measurement(VISITS_HOUR), measurement(EVENT_FIGURES)


def build() -> Json:
    events_annotation = {
        "name": "Events", "enable": True, "iconColor": "purple", "datasource": DATASOURCE,
        "query": f'SELECT "name", "end_ms" FROM "{EVENTS}" WHERE {SITE} AND $timeFilter '
                 'AND "deleted" = false',
        "textColumn": "name", "rawQuery": True,
    }
    return dashboard("hubsense-visits", "hubsense: visits and events", [
        panel("stat", "Visits in the range", [target(
            f'SELECT sum("entries") FROM {VISITS} WHERE {SITE} AND $timeFilter')],
            0, 0, 6, 6),
        panel("barchart", "Visits per day", [target(
            f'SELECT sum("entries") AS "visits" FROM {VISITS} WHERE {SITE} AND $timeFilter '
            f'GROUP BY time(1d) fill(0) {TZ}')], 6, 0, 18, 9),
        panel("timeseries", "Visits per interval", [target(
            f'SELECT sum("entries") AS "visits" FROM {VISITS} WHERE {SITE} AND $timeFilter '
            'GROUP BY time($__interval) fill(0)')], 0, 9, 24, 8),
        panel("timeseries", "Entrance running totals (raw)", [target(
            f'SELECT last("in_total") FROM "passage" WHERE {SITE} AND $timeFilter '
            'GROUP BY time($__interval), "node" fill(none)', alias="$tag_node")],
            0, 17, 12, 8, description="Drops to 0 when a door node reboots; visits "
                                      "recognise that and never count it negative."),
        panel("table", "Events", [target(
            f'SELECT "name", "end_ms", "zones" FROM "{EVENTS}" WHERE {SITE} '
            'AND $timeFilter AND "deleted" = false', fmt="table")], 12, 17, 12, 8),
        panel("table", "Visits per event", [target(
            f'SELECT "name", "visits", "end_ms" FROM {EVENT_FIGURES} WHERE {SITE} '
            'AND $timeFilter AND "deleted" = false', fmt="table")], 0, 25, 24, 8,
            description="Entries through every door during each event, from the rollups "
                        "(an event shows here after the next rollup run)."),
    ], [SITE_VAR], time_from="now-90d", annotations=[events_annotation],
        description="Visits from entrance totals, rolled up per hour (reports.rollup).")
