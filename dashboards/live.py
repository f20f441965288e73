"""Live overview: where people are now, zone status and noise, desks."""

from __future__ import annotations

from dashboards.panels import SITE, SITE_VAR, WHERE, ZONE, ZONE_VAR, Json, dashboard, panel, target


def build() -> Json:
    return dashboard("hubsense-live", "hubsense: live overview", [
        panel("bargauge", "People now, per zone", [target(
            f'SELECT last("occupied") AS "people" FROM "zone_state" WHERE {WHERE} '
            'GROUP BY "zone"', alias="$tag_zone")], 0, 0, 12, 8,
            description="Last known count; a stale or unknown zone shows no bar, never 0."),
        panel("table", "Zones: status and capacity", [target(
            f'SELECT last("status") AS "status", last("occupied") AS "people", '
            f'last("capacity") AS "capacity", last("stale") AS "stale" FROM "zone_state" '
            f'WHERE {WHERE} GROUP BY "zone"', fmt="table")], 12, 0, 12, 8),
        panel("timeseries", "People per zone", [target(
            f'SELECT last("occupied") FROM "zone_state" WHERE {WHERE} '
            'GROUP BY time($__interval), "zone" fill(previous)', alias="$tag_zone")],
            0, 8, 24, 9),
        panel("state-timeline", "Zone status", [target(
            f'SELECT last("status") FROM "zone_state" WHERE {WHERE} '
            'GROUP BY time($__interval), "zone" fill(previous)', alias="$tag_zone")],
            0, 17, 24, 8),
        panel("timeseries", "Noise (LAeq)", [target(
            f'SELECT mean("laeq") FROM "sound" WHERE {WHERE} '
            'GROUP BY time($__interval), "zone" fill(none)', alias="$tag_zone")],
            0, 25, 12, 8, unit="dB"),
        panel("table", "Desks", [target(
            f'SELECT last("status") AS "status" FROM "desk_state" WHERE {SITE} AND {ZONE} '
            'AND $timeFilter GROUP BY "zone", "desk"', fmt="table")], 12, 25, 12, 8),
    ], [SITE_VAR, ZONE_VAR], time_from="now-6h", refresh="30s",
        description="Live state written by the collector when it changes.")
