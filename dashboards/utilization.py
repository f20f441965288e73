"""Utilization: weekday x hour heat map per zone, shares of opening hours, trends, desks.

Every figure comes from the rollups (reports.rollup) and is a ratio of sums over
known time. InfluxQL answers x / 0 with 0, so each query keeps only points whose
denominator is positive: a zone unknown for a whole bucket shows nothing, not 0.
"""

from __future__ import annotations

from dashboards.panels import (
    SITE,
    WHERE,
    ZONE,
    ZONE_VAR,
    Json,
    dashboard,
    mapping,
    null_as,
    panel,
    site_variable,
    target,
    tz,
)
from dashboards.site import Site
from hubsense.measurements import DESK_DAY, ZONE_HOUR
from hubsense.measurements import in_rollup_rp as measurement

ZONES, DESKS = measurement(ZONE_HOUR), measurement(DESK_DAY)
# Capacity-weighted, so a period across a layout version that changed it stays right.
VS_CAPACITY = (f'SELECT sum("open_people_s") / sum("open_capacity_s") FROM {ZONES} '
               f'WHERE {WHERE} AND "open_capacity_s" > 0 ')
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS = [f"{h:02d}" for h in range(24)]
WEEKS = "time(7d, 4d)"  # InfluxDB's 7-day buckets start on a Thursday (the epoch's): +4 d


def weekday_row(day: int) -> str:
    """One weekday of the heat map: mean people while known in each local hour.

    The rollups tag each zone-hour with its local hour of week (`how`, 0 = Monday
    00-01). InfluxQL has no arithmetic on tags, so each cell is a subquery pinned to
    one `how` and the row is one point of 24 columns; `day` labels it.
    """
    where = f"{SITE} AND {ZONE} AND $timeFilter"
    hows = [day * 24 + h for h in range(24)]
    label = (f'(SELECT count("span_s") * 0 + {day} AS "day" FROM {ZONES} WHERE {where} '
             f'AND "how" =~ /^({"|".join(map(str, hows))})$/)')
    cells = [f'(SELECT sum("people_s") / sum("known_s") AS "{hh}" FROM {ZONES} '
             f"WHERE {where} AND \"how\" = '{how}' AND \"known_s\" > 0)"
             for hh, how in zip(HOURS, hows, strict=True)]
    columns = ", ".join(f'max("{hh}") AS "{hh}"' for hh in HOURS)
    return f'SELECT max("day") AS "day", {columns} FROM {", ".join([label, *cells])}'


def heat_map(site: Site) -> Json:
    p = panel("table", "$zone: mean people by weekday and hour", [
        target(weekday_row(d), chr(ord("A") + d), fmt="table") for d in range(7)],
        0, 0, 24, 9, repeat="zone", repeatDirection="v",
        description=f"Mean people while known, per weekday and local hour ({site.timezone}, "
                    "the rollups' hour of week), over the range; one table per zone. A "
                    "blank cell: the zone was unknown that whole hour. From the rollups.",
        transformations=[
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {"excludeByName": {"Time": True},
                                           "indexByName": {"day": 0, **{
                                               hh: i + 1 for i, hh in enumerate(HOURS)}}}},
            {"id": "sortBy", "options": {"sort": [{"field": "day"}]}}])
    defaults = p["fieldConfig"]["defaults"]
    defaults.update(min=0, decimals=1, color={"mode": "continuous-GrYlRd"}, mappings=[null_as("")],
                    custom={"cellOptions": {"type": "color-background"}, "align": "center"})
    p["fieldConfig"]["overrides"] = [{
        "matcher": {"id": "byName", "options": "day"}, "properties": [
            {"id": "mappings", "value": [mapping({str(i): (d, "text")
                                                  for i, d in enumerate(DAYS)})]},
            {"id": "custom.cellOptions", "value": {"type": "auto"}},
            {"id": "custom.width", "value": 60}]}]
    return p


def flagged(p: Json, site: Site) -> Json:
    """Colour a panel by the site's under/over-use thresholds."""
    cfg = site.report
    p["fieldConfig"]["defaults"].update(min=0, thresholds={"mode": "absolute", "steps": [
        {"color": "blue", "value": None}, {"color": "green", "value": cfg.underused_below},
        {"color": "red", "value": cfg.overused_above}]})
    if p["type"] == "timeseries":
        p["fieldConfig"]["defaults"]["custom"] = {"thresholdsStyle": {"mode": "line"}}
    return p


def build(site: Site) -> Json:
    cfg = site.report
    flags = (f"Mean people while known, in opening hours, against capacity: under "
             f"{cfg.underused_below:g} is underused, over {cfg.overused_above:g} overused "
             "(report.underused_below / overused_above).")
    return dashboard("hubsense-utilization", "hubsense: utilization", site, [
        heat_map(site),
        flagged(panel("bargauge", "Mean people / capacity in opening hours (flags)", [target(
            VS_CAPACITY + 'GROUP BY "zone"', alias="$tag_zone")], 0, 9, 12, 9,
            unit="percentunit", description=flags), site),
        panel("bargauge", "Share of opening hours occupied", [target(
            f'SELECT sum("open_occupied_s") / sum("open_s") FROM {ZONES} '
            f'WHERE {WHERE} AND "open_s" > 0 GROUP BY "zone"', alias="$tag_zone")],
            12, 9, 12, 9, unit="percentunit"),
        flagged(panel("timeseries", "Mean people / capacity, per week (trend)", [target(
            VS_CAPACITY + f'GROUP BY {WEEKS}, "zone" fill(null) {tz(site)}',
            alias="$tag_zone")], 0, 18, 12, 9, unit="percentunit",
            description="Did a layout change help? Local weeks, Monday to Sunday; "
                        "`hubsense report compare` gives exact periods and layout versions."),
            site),
        panel("bargauge", "Unknown share of opening hours", [target(
            f'SELECT (sum("open_s") - sum("open_known_s")) / sum("open_s") FROM {ZONES} '
            f'WHERE {WHERE} AND "open_s" > 0 GROUP BY "zone"', alias="$tag_zone")],
            12, 18, 12, 9, unit="percentunit",
            description="Time a sensor was silent: unknown, not free."),
        panel("timeseries", "Mean people in opening hours, per day", [target(
            f'SELECT sum("open_people_s") / sum("open_known_s") FROM {ZONES} '
            f'WHERE {WHERE} AND "open_known_s" > 0 GROUP BY time(1d), "zone" fill(null) '
            f"{tz(site)}", alias="$tag_zone")], 0, 27, 24, 9,
            description="Local days; a day without known opening hours has no point."),
        panel("table", "Desks: share of opening hours", [target(
            'SELECT sum("open_occupied_s") / sum("open_s") AS "occupied", '
            '(sum("open_s") - sum("open_known_s")) / sum("open_s") AS "unknown" '
            f'FROM {DESKS} WHERE {SITE} AND {ZONE} AND $timeFilter AND "open_s" > 0 '
            'GROUP BY "zone", "desk"', fmt="table")], 0, 36, 24, 10, unit="percentunit"),
    ], [site_variable(site), ZONE_VAR], time_from="now-30d",
        description="From the rollups (reports.rollup): durations, not message counts.")
