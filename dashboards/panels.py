"""Shared panel defaults: the provisioned datasource, InfluxQL targets, grid placement,
how the newest state is read, and how statuses and unknowns are shown."""

from __future__ import annotations

from typing import Any

from dashboards.site import Site
from hubsense.measurements import ZONE_STATE
from hubsense.state import DeskStatus, ZoneStatus

DATASOURCE = {"type": "influxdb", "uid": "hubsense-influxdb"}  # provisioning/datasources
SITE = '"site" =~ /^$site$/'
ZONE = '"zone" =~ /^$zone$/'
WHERE = f"{SITE} AND {ZONE} AND $timeFilter"
# The end of the dashboard's range (Grafana's global ${__to}, epoch ms): "now" panels
# show the state at that moment, which is now unless the range ends earlier.
TO = "${__to}ms"
FROM = "${__from}ms"
UNKNOWN = "unknown"

Json = dict[str, Any]


def target(query: str, ref: str = "A", fmt: str = "time_series", alias: str = "") -> Json:
    """A raw InfluxQL query target."""
    t: Json = {"datasource": DATASOURCE, "query": query, "rawQuery": True, "refId": ref,
               "resultFormat": fmt}
    if alias:
        t["alias"] = alias
    return t


def panel(kind: str, title: str, targets: list[Json], x: int, y: int, w: int = 12, h: int = 8,
          unit: str | None = None, description: str = "", **extra: Any) -> Json:
    """A panel on the 24-column grid; ids are assigned by the dashboard."""
    defaults: Json = {}
    if unit:
        defaults["unit"] = unit
    p: Json = {"type": kind, "title": title, "datasource": DATASOURCE, "targets": targets,
               "gridPos": {"x": x, "y": y, "w": w, "h": h},
               "fieldConfig": {"defaults": defaults, "overrides": []}, "options": {}}
    if description:
        p["description"] = description
    p.update(extra)
    return p


def latest(fields: str, measurement: str, where: str, by: str) -> str:
    """The newest point of each series up to the range's end, read whole.

    Never last("field") per field: it skips the points that omit the field, and an
    unknown zone writes no `occupied`, so last("occupied") would show its last count.
    No lower time bound: state is written when it changes, which may be long ago.
    """
    return (f'SELECT {fields} FROM "{measurement}" WHERE {where} AND time <= {TO} '
            f"GROUP BY {by} ORDER BY time DESC LIMIT 1")


def tz(site: Site) -> str:
    """InfluxQL's clause for local days and weeks."""
    return f"tz('{site.timezone}')"


def mapping(values: dict[str, tuple[str, str]]) -> Json:
    """Value mappings: raw value -> (text, colour)."""
    return {"type": "value", "options": {
        v: {"text": text, "color": color, "index": i}
        for i, (v, (text, color)) in enumerate(values.items())}}


def some(text: str, color: str) -> Json:
    """A mapping for any count of 1 or more."""
    # An open upper end (null) reads as 0 in Grafana's range check: give it a bound.
    return {"type": "range", "options": {"from": 1, "to": 1_000_000_000,
                                         "result": {"text": text, "color": color}}}


def null_as(text: str, color: str = "text") -> Json:
    """Show a missing value (null or NaN) as `text`, never as 0."""
    return {"type": "special", "options": {"match": "null+nan",
                                           "result": {"text": text, "color": color}}}


ZONE_STATUS = mapping({
    ZoneStatus.FREE.value: ("free", "green"), ZoneStatus.FILLING.value: ("filling", "yellow"),
    ZoneStatus.FULL.value: ("full", "red"), ZoneStatus.IN_USE.value: ("in use", "blue"),
    ZoneStatus.UNKNOWN.value: (UNKNOWN, "gray")})
DESK_STATUS = mapping({
    DeskStatus.FREE.value: ("free", "green"), DeskStatus.OCCUPIED.value: ("occupied", "red"),
    DeskStatus.UNKNOWN.value: (UNKNOWN, "gray")})


def variable(name: str, label: str, query: str, multi: bool = False, current: str = "",
             hide: int = 0, refresh: int = 1) -> Json:
    """A query template variable (Grafana formats multi-values as a regex alternation).

    refresh 1: on load; 2: also whenever the time range moves (auto-refresh too).
    """
    return {"name": name, "label": label, "type": "query", "datasource": DATASOURCE,
            "query": query, "definition": query, "refresh": refresh, "sort": 1,
            "multi": multi, "includeAll": multi, "allValue": ".*" if multi else None,
            "current": {"text": current, "value": current} if current else {},
            "options": [], "hide": hide}


def site_variable(site: Site) -> Json:
    return variable("site", "Site", f'SHOW TAG VALUES FROM "{ZONE_STATE}" WITH KEY = "site"',
                    current=site.id)


ZONE_VAR = variable("zone", "Zone",
                    f'SHOW TAG VALUES FROM "{ZONE_STATE}" WITH KEY = "zone" WHERE {SITE}', True)


def dashboard(uid: str, title: str, site: Site, panels: list[Json], variables: list[Json],
              time_from: str = "now-24h", refresh: str = "", annotations: list[Json] | None = None,
              description: str = "") -> Json:
    """A dashboard in Grafana's JSON model, panels numbered in order, in the site's time."""
    for i, p in enumerate(panels, start=1):
        p["id"] = i
    return {
        "uid": uid, "title": title, "description": description, "tags": ["hubsense"],
        "timezone": site.timezone, "editable": False, "schemaVersion": 39, "version": 1,
        "time": {"from": time_from, "to": "now"}, "refresh": refresh,
        "templating": {"list": variables},
        "annotations": {"list": annotations or []},
        "panels": panels,
    }
