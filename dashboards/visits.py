"""Visits and events: entries per local day and hour, and the registered events."""

from __future__ import annotations

from dashboards.panels import (
    DATASOURCE,
    FROM,
    SITE,
    TO,
    Json,
    dashboard,
    mapping,
    panel,
    site_variable,
    target,
    tz,
)
from dashboards.site import Site
from hubsense.measurements import EVENT, EVENT_FIGURES, PASSAGE, VISITS_HOUR
from hubsense.measurements import in_rollup_rp as measurement

VISITS, FIGURES = measurement(VISITS_HOUR), measurement(EVENT_FIGURES)
# An event is stored at its start and lasts at most 14 days (reports.events.MAX_EVENT_DAYS):
# one that started that much before the range may still run into it.
EVENTS_DURING = (f"{SITE} AND time >= {FROM} - 14d AND time <= {TO} "
                 '''AND "end_ms" > ${__from} AND "deleted" = false''')
EVENTS_NOTE = ("Registered events that overlap the range (a deleted one is a tombstone "
               "and is left out); start and end in the site's local time.")


def _event_table(title: str, query: str, x: int, y: int, w: int, description: str) -> Json:
    """Events as rows: the point's time is the start, `end` the end (epoch ms) as a time."""
    p = panel("table", title, [target(query, fmt="table")], x, y, w, 8, description=description,
              transformations=[{"id": "organize", "options": {
                  "renameByName": {"Time": "start"}, "indexByName": {"Time": 0, "name": 1}}}])
    p["fieldConfig"]["overrides"] = [
        {"matcher": {"id": "byName", "options": "end"},
         "properties": [{"id": "unit", "value": "dateTimeAsIso"}]},
        {"matcher": {"id": "byName", "options": "zones"},
         "properties": [{"id": "mappings", "value": [mapping({"[]": ("whole site", "text")})]}]}]
    return p


def events_annotation() -> Json:
    """Each event as a region from its start to its end on every time panel."""
    query = f'SELECT "name", "end_ms" FROM "{EVENT}" WHERE {EVENTS_DURING}'
    return {"name": "Events", "enable": True, "iconColor": "purple", "datasource": DATASOURCE,
            "target": {"query": query, "rawQuery": True, "fromAnnotations": True,
                       "textColumn": "name", "timeEndColumn": "end_ms", "tagsColumn": "",
                       "refId": "Anno"}}


def build(site: Site) -> Json:
    return dashboard("hubsense-visits", "hubsense: visits and events", site, [
        panel("stat", "Visits in the range", [target(
            f'SELECT sum("entries") FROM {VISITS} WHERE {SITE} AND $timeFilter')],
            0, 0, 6, 6),
        panel("barchart", "Visits per day", [target(
            f'SELECT sum("entries") AS "visits" FROM {VISITS} WHERE {SITE} AND $timeFilter '
            f"GROUP BY time(1d) fill(0) {tz(site)}")], 6, 0, 18, 9,
            description=f"Local days ({site.timezone})."),
        panel("timeseries", "Visits per interval", [target(
            f'SELECT sum("entries") AS "visits" FROM {VISITS} WHERE {SITE} AND $timeFilter '
            'GROUP BY time($__interval) fill(0)')], 0, 9, 24, 8, interval="1h",
            description="Entries per interval of at least an hour: the rollup's grain."),
        panel("timeseries", "Entrance running totals (raw)", [target(
            f'SELECT last("in_total") FROM "{PASSAGE}" WHERE {SITE} AND $timeFilter '
            'GROUP BY time($__interval), "node" fill(none)', alias="$tag_node")],
            0, 17, 12, 8, description="Drops to 0 when a door node reboots; visits "
                                      "recognise that and never count it negative."),
        _event_table("Events", f'SELECT "name", "end_ms" AS "end", "zones" FROM "{EVENT}" '
                     f"WHERE {EVENTS_DURING}", 12, 17, 12, EVENTS_NOTE),
        _event_table("Visits per event", f'SELECT "name", "visits", "end_ms" AS "end" '
                     f"FROM {FIGURES} WHERE {EVENTS_DURING}", 0, 25, 24,
                     "Entries through every door during each event, from the rollups (an "
                     "event shows here after the next rollup run)."),
    ], [site_variable(site)], time_from="now-90d", annotations=[events_annotation()],
        description="Visits from entrance totals, rolled up per hour (reports.rollup).")
