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
from hubsense.measurements import DESK_DAY, ZONE_HOUR
from hubsense.measurements import in_rollup_rp as measurement
from hubsense.settings import ReportSettings

ZONES, DESKS = measurement(ZONE_HOUR), measurement(DESK_DAY)
# Capacity-weighted, so a period across a layout version that changed it stays right.
VS_CAPACITY = f'SELECT sum("open_people_s") / sum("open_capacity_s") FROM {ZONES} '
_CFG = ReportSettings()  # the default thresholds; a site with others edits them here
FLAGS = (f"Mean people while known, in opening hours, against capacity: under "
         f"{_CFG.underused_below:g} is underused, over {_CFG.overused_above:g} overused "
         "(report.underused_below / overused_above).")


def flagged(p: Json) -> Json:
    """Colour a panel by the under/over-use thresholds."""
    p["fieldConfig"]["defaults"].update(min=0, thresholds={"mode": "absolute", "steps": [
        {"color": "blue", "value": None}, {"color": "green", "value": _CFG.underused_below},
        {"color": "red", "value": _CFG.overused_above}]})
    if p["type"] == "timeseries":
        p["fieldConfig"]["defaults"]["custom"] = {"thresholdsStyle": {"mode": "line"}}
    return p


def build() -> Json:
    heatmap = panel("table", "Hour of week x zone: mean people", [target(
        f'SELECT sum("people_s") / sum("known_s") AS "people" FROM {ZONES} '
        f'WHERE {WHERE} GROUP BY "how", "zone"', fmt="table")], 0, 0, 24, 14,
        description="Mean people while known, per local hour of the week "
                    "(0 = Monday 00-01). From the rollups; unknown time is left out.",
        transformations=[{"id": "groupingToMatrix", "options": {
            "columnField": "zone", "rowField": "how", "valueField": "people"}},
            # Tags are strings: as numbers the rows run 0..167, not 0, 1, 10, 100, ...
            {"id": "convertFieldType", "options": {"fields": {}, "conversions": [
                {"targetField": "how\\zone", "destinationType": "number"}]}},
            {"id": "sortBy", "options": {"sort": [{"field": "how\\zone"}]}}])
    heatmap["fieldConfig"]["defaults"]["custom"] = {"cellOptions": {"type": "color-background"}}
    heatmap["fieldConfig"]["defaults"]["color"] = {"mode": "continuous-GrYlRd"}
    return dashboard("hubsense-utilization", "hubsense: utilization", [
        heatmap,
        flagged(panel("bargauge", "Mean people / capacity in opening hours (flags)", [target(
            VS_CAPACITY + f'WHERE {WHERE} GROUP BY "zone"', alias="$tag_zone")], 0, 14, 12, 9,
            unit="percentunit", description=FLAGS)),
        panel("bargauge", "Share of opening hours occupied", [target(
            f'SELECT sum("open_occupied_s") / sum("open_s") FROM {ZONES} '
            f'WHERE {WHERE} GROUP BY "zone"', alias="$tag_zone")], 12, 14, 12, 9,
            unit="percentunit"),
        flagged(panel("timeseries", "Mean people / capacity, per week (trend)", [target(
            VS_CAPACITY + f'WHERE {WHERE} GROUP BY time(7d), "zone" fill(none) {TZ}',
            alias="$tag_zone")], 0, 23, 12, 9, unit="percentunit",
            description="Did a layout change help? Weeks are 7-day buckets; the report "
                        "`hubsense report compare` gives exact periods and layout versions.")),
        panel("bargauge", "Unknown share of opening hours", [target(
            f'SELECT (sum("open_s") - sum("open_known_s")) / sum("open_s") FROM {ZONES} '
            f'WHERE {WHERE} GROUP BY "zone"', alias="$tag_zone")], 12, 23, 12, 9,
            unit="percentunit", description="Time a sensor was silent: unknown, not free."),
        panel("timeseries", "Mean people in opening hours, per day", [target(
            f'SELECT sum("open_people_s") / sum("open_known_s") FROM {ZONES} '
            f'WHERE {WHERE} GROUP BY time(1d), "zone" fill(none) {TZ}', alias="$tag_zone")],
            0, 32, 24, 9),
        panel("table", "Desks: share of opening hours", [target(
            'SELECT sum("open_occupied_s") / sum("open_s") AS "occupied", '
            '(sum("open_s") - sum("open_known_s")) / sum("open_s") AS "unknown" '
            f'FROM {DESKS} WHERE {SITE} AND {ZONE} AND $timeFilter '
            'GROUP BY "zone", "desk"', fmt="table")], 0, 41, 24, 10, unit="percentunit"),
    ], [SITE_VAR, ZONE_VAR], time_from="now-30d",
        description="From the rollups (reports.rollup): durations, not message counts.")
