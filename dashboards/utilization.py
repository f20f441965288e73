"""Utilization: hour-of-week x zone heatmap, shares of opening hours, trends, desks."""

from __future__ import annotations

from dashboards.panels import (
    SITE,
    SITE_VAR,
    TZ,
    WHERE,
    ZONE,
    ZONE_VAR,
    Json,
    dashboard,
    panel,
    target,
)
from reports.rollup import DESK_DAY, ZONE_HOUR
from reports.store import measurement

ZONES, DESKS = measurement(ZONE_HOUR), measurement(DESK_DAY)


def build() -> Json:
    heatmap = panel("table", "Hour of week x zone: mean people", [target(
        f'SELECT sum("people_s") / sum("known_s") AS "people" FROM {ZONES} '
        f'WHERE {WHERE} GROUP BY "how", "zone"', fmt="table")], 0, 0, 24, 14,
        description="Mean people while known, per local hour of the week "
                    "(0 = Monday 00-01). From the rollups; unknown time is left out.",
        transformations=[{"id": "groupingToMatrix", "options": {
            "columnField": "zone", "rowField": "how", "valueField": "people"}},
            {"id": "sortBy", "options": {"sort": [{"field": "how\\zone"}]}}])
    heatmap["fieldConfig"]["defaults"]["custom"] = {"cellOptions": {"type": "color-background"}}
    heatmap["fieldConfig"]["defaults"]["color"] = {"mode": "continuous-GrYlRd"}
    return dashboard("hubsense-utilization", "hubsense: utilization", [
        heatmap,
        panel("bargauge", "Share of opening hours occupied", [target(
            f'SELECT sum("open_occupied_s") / sum("open_s") FROM {ZONES} '
            f'WHERE {WHERE} GROUP BY "zone"', alias="$tag_zone")], 0, 14, 12, 9,
            unit="percentunit"),
        panel("bargauge", "Unknown share of opening hours", [target(
            f'SELECT (sum("open_s") - sum("open_known_s")) / sum("open_s") FROM {ZONES} '
            f'WHERE {WHERE} GROUP BY "zone"', alias="$tag_zone")], 12, 14, 12, 9,
            unit="percentunit", description="Time a sensor was silent: unknown, not free."),
        panel("timeseries", "Mean people in opening hours, per day", [target(
            f'SELECT sum("open_people_s") / sum("open_known_s") FROM {ZONES} '
            f'WHERE {WHERE} GROUP BY time(1d), "zone" fill(none) {TZ}', alias="$tag_zone")],
            0, 23, 24, 9),
        panel("table", "Desks: share of opening hours", [target(
            'SELECT sum("open_occupied_s") / sum("open_s") AS "occupied", '
            '(sum("open_s") - sum("open_known_s")) / sum("open_s") AS "unknown" '
            f'FROM {DESKS} WHERE {SITE} AND {ZONE} AND $timeFilter '
            'GROUP BY "zone", "desk"', fmt="table")], 0, 32, 24, 10, unit="percentunit"),
    ], [SITE_VAR, ZONE_VAR], time_from="now-30d",
        description="From the rollups (reports.rollup): durations, not message counts.")
