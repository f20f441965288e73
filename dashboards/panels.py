"""Shared panel defaults: the provisioned datasource, InfluxQL targets, grid placement."""

from __future__ import annotations

from typing import Any

DATASOURCE = {"type": "influxdb", "uid": "hubsense-influxdb"}  # provisioning/datasources
SITE = '"site" =~ /^$site$/'
ZONE = '"zone" =~ /^$zone$/'
WHERE = f"{SITE} AND {ZONE} AND $timeFilter"
TZ = "tz('Europe/Stockholm')"

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


def variable(name: str, label: str, query: str, multi: bool = False) -> Json:
    """A query template variable (Grafana formats multi-values as a regex alternation)."""
    return {"name": name, "label": label, "type": "query", "datasource": DATASOURCE,
            "query": query, "definition": query, "refresh": 1, "sort": 1,
            "multi": multi, "includeAll": multi, "allValue": ".*" if multi else None,
            "current": {}, "options": [], "hide": 0}


SITE_VAR = variable("site", "Site", 'SHOW TAG VALUES FROM "zone_state" WITH KEY = "site"')
ZONE_VAR = variable("zone", "Zone",
                    'SHOW TAG VALUES FROM "zone_state" WITH KEY = "zone" WHERE ' + SITE, True)


def dashboard(uid: str, title: str, panels: list[Json], variables: list[Json],
              time_from: str = "now-24h", refresh: str = "", annotations: list[Json] | None = None,
              description: str = "") -> Json:
    """A dashboard in Grafana's JSON model, panels numbered in order."""
    for i, p in enumerate(panels, start=1):
        p["id"] = i
    return {
        "uid": uid, "title": title, "description": description, "tags": ["hubsense"],
        "timezone": "browser", "editable": False, "schemaVersion": 39, "version": 1,
        "time": {"from": time_from, "to": "now"}, "refresh": refresh,
        "templating": {"list": variables},
        "annotations": {"list": annotations or []},
        "panels": panels,
    }
