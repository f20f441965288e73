"""Live overview: what each zone shows now, as the API shows it, and how it got there.

Every "now" panel reads the newest zone_state point whole (panels.latest) and only
while the collector is live (liveness.LIVE_SITE); charts hold each state until the
next and leave a gap wherever the zone was unknown.
"""

from __future__ import annotations

from dashboards.liveness import (
    COLLECTOR_ROWS,
    LIVE_SITE,
    collector_panels,
    collector_rows,
    live_site_variable,
)
from dashboards.panels import (
    DESK_STATUS,
    FROM,
    SITE,
    TO,
    UNKNOWN,
    WHERE,
    ZONE,
    ZONE_STATUS,
    ZONE_VAR,
    Json,
    dashboard,
    latest,
    mapping,
    null_as,
    panel,
    site_variable,
    target,
)
from dashboards.site import Site
from hubsense.measurements import DESK_STATE, SOUND, ZONE_STATE

# Charts start this far before the range so the state in force at its start is known:
# state is written on change, and a zone unchanged for longer starts as a gap.
LOOKBACK = "1d"
SPAN = f"time >= {FROM} - {LOOKBACK} AND time <= {TO}"
SOUND_INTERVAL_S = 60  # a microphone's default interval_s (sensors/hubsense_node/config.py)

NOW_ZONES = f"{LIVE_SITE} AND {ZONE}"
ZONE_FIELDS = ('"status", "occupied" AS "people", "at_least" AS "count", '
               '"desks_free" AS "desks free", "desks_unknown" AS "desks not reporting", '
               '"capacity", "noise", "laeq" AS "LAeq", "stale" AS "inputs"')


def people_now(lower_bound: bool) -> str:
    """Each zone's people now, null when unknown; with or without a lower bound."""
    newest = latest('"occupied" AS "people", "at_least"', ZONE_STATE, NOW_ZONES, '"zone"')
    cond = '"at_least" = true' if lower_bound else '"at_least" != true'
    return f'SELECT "people" FROM ({newest}) WHERE {cond} GROUP BY "zone" ORDER BY time DESC'


def people_per_interval() -> str:
    """People in force at the end of each interval, null while the zone was unknown.

    Three steps, because last() and fill(previous) skip nulls, which is how an unknown
    point (no `occupied`) turned into the last known count held flat:
    1. each state point becomes a number: its count, or -1 when it has none (the max
       of `occupied` and -1 at the point's millisecond);
    2. per interval the last of those, carried forward over intervals without a change;
    3. -1 dropped, so unknown intervals are empty: null, a gap in the chart.
    """
    own = f"{SITE} AND {ZONE} AND {SPAN}"
    points = (f'SELECT max("people") AS "people" FROM '
              f'(SELECT "occupied" AS "people" FROM "{ZONE_STATE}" WHERE {own}), '
              f'(SELECT "capacity" * 0 - 1 AS "people" FROM "{ZONE_STATE}" WHERE {own}) '
              f'WHERE {SPAN} GROUP BY time(1ms), "zone"')
    held = (f'SELECT last("people") AS "people" FROM ({points}) WHERE {SPAN} '
            'GROUP BY time($__interval), "zone" fill(previous)')
    return (f'SELECT max("people") AS "people" FROM ({held}) WHERE "people" >= 0 '
            'AND $timeFilter GROUP BY time($__interval), "zone" fill(null)')


def status_per_interval() -> str:
    """The status in force at the end of each interval (always written: last() is safe)."""
    held = (f'SELECT last("status") AS "status" FROM "{ZONE_STATE}" WHERE {SITE} AND {ZONE} '
            f'AND {SPAN} GROUP BY time($__interval), "zone" fill(previous)')
    return f'SELECT "status" FROM ({held}) WHERE $timeFilter GROUP BY "zone"'


def _by_name(name: str, **props: object) -> Json:
    """An override of one column's properties (`cell` for custom.cellOptions' type)."""
    ids = {"cell": "custom.cellOptions"}
    return {"matcher": {"id": "byName", "options": name},
            "properties": [{"id": ids.get(k, k), "value": {"type": v} if k == "cell" else v}
                           for k, v in props.items()]}


def _zones_now(site: Site) -> Json:
    p = panel("table", "Zones now", [target(
        latest(ZONE_FIELDS, ZONE_STATE, NOW_ZONES, '"zone"'), fmt="table")], 12, 0, 12, 13,
        description="Each zone's newest state up to the range's end, as the API shows it: "
                    "people is a lower bound (\"at least\") while a sensor that counts is "
                    "silent, and unknown (empty) when nothing that counts reports. Empty "
                    "while the collector is down (see Collector): every zone is unknown.",
        transformations=[{"id": "organize", "options": {"renameByName": {"Time": "since"}}}])
    p["fieldConfig"]["defaults"]["noValue"] = UNKNOWN
    p["fieldConfig"]["overrides"] = [
        _by_name("zone", mappings=[mapping({z.id: (z.name.en, "text")
                                            for z in site.layout.zones})]),
        _by_name("status", mappings=[ZONE_STATUS],
                 cell="color-text"),
        _by_name("people", mappings=[null_as(UNKNOWN)]),
        _by_name("count", mappings=[mapping({"true": ("at least", "orange"),
                                             "false": ("exact", "text")})],
                 cell="color-text"),
        _by_name("inputs", mappings=[mapping({"true": ("some silent", "orange"),
                                              "false": ("all reporting", "text")})],
                 cell="color-text"),
        _by_name("LAeq", unit="dB", decimals=1)]
    return p


def _people_now() -> Json:
    p = panel("bargauge", "People now, per zone", [
        target(people_now(False), "A", alias="$tag_zone"),
        target(people_now(True), "B", alias="$tag_zone: at least")], 0, 4, 12, 9,
        description="Each zone's people in its newest state. \"at least\": a sensor that "
                    "counts is silent, so the count is what the others report. A zone whose "
                    "state is unknown reads unknown, never its last count; while the "
                    "collector is down (see Collector) there are no bars: all unknown.")
    p["fieldConfig"]["defaults"].update(min=0, noValue=UNKNOWN, mappings=[null_as(UNKNOWN)])
    p["options"] = {"displayMode": "basic", "orientation": "horizontal", "showUnfilled": True,
                    "reduceOptions": {"calcs": ["last"], "fields": "", "values": False}}
    return p


def _people_chart() -> Json:
    p = panel("timeseries", "People per zone", [target(people_per_interval(),
                                                       alias="$tag_zone")], 0, 13, 24, 9,
              description="People in each zone at the end of each interval, held until it "
                          "changed. A gap: the zone was unknown (its counting sensors silent). "
                          "InfluxQL cannot join the collector's heartbeat to these series: "
                          "across time the collector was down the last value it wrote is "
                          "held; the collector row of Zone status shows when that was.")
    p["fieldConfig"]["defaults"].update(min=0, decimals=0, custom={
        "lineInterpolation": "stepAfter", "spanNulls": False, "fillOpacity": 10})
    return p


def _status_timeline(site: Site) -> Json:
    p = panel("state-timeline", "Zone status", [
        target(status_per_interval(), "A", alias="$tag_zone"), collector_rows("B")],
        0, 22, 24, 9, interval=f"{site.collector_silent_s}s",
        description="Each zone's status at the end of each interval, and the collector: "
                    "down where it sent no heartbeat in the interval. Zone rows cannot be "
                    "blanked by that row in InfluxQL; read them as unknown where it is down.")
    p["fieldConfig"]["defaults"]["mappings"] = [ZONE_STATUS, *COLLECTOR_ROWS]
    p["options"] = {"mergeValues": True, "showValue": "never", "rowHeight": 0.8}
    return p


def _noise(site: Site) -> Json:
    every = round(site.state.stale_factor * SOUND_INTERVAL_S)
    p = panel("timeseries", "Noise (LAeq)", [target(
        f'SELECT mean("laeq") FROM "{SOUND}" WHERE {WHERE} '
        'GROUP BY time($__interval), "zone" fill(null)', alias="$tag_zone")],
        0, 31, 12, 8, unit="dB", interval=f"{every}s",
        description=f"Mean LAeq per interval of at least {every} s (several reports of "
                    "a microphone at its default 60 s); an interval without one is a gap: "
                    "the microphone was silent.")
    p["fieldConfig"]["defaults"]["custom"] = {"spanNulls": False}
    return p


def _desks_now() -> Json:
    p = panel("table", "Desks now", [target(
        latest('"status"', DESK_STATE, NOW_ZONES, '"zone", "desk"'), fmt="table")],
        12, 31, 12, 8,
        description="Each desk's newest state; empty while the collector is down.",
        transformations=[{"id": "organize", "options": {"renameByName": {"Time": "since"}}}])
    p["fieldConfig"]["defaults"]["noValue"] = UNKNOWN
    p["fieldConfig"]["overrides"] = [_by_name("status", mappings=[DESK_STATUS],
                                              cell="color-text")]
    return p


def build(site: Site) -> Json:
    return dashboard("hubsense-live", "hubsense: live overview", site, [
        *collector_panels(site, 0, 0), _people_now(), _zones_now(site), _people_chart(),
        _status_timeline(site), _noise(site), _desks_now(),
    ], [site_variable(site), ZONE_VAR, live_site_variable(site)], time_from="now-6h",
        refresh="30s", description="Live state written by the collector when it changes, "
                                   "shown as the API shows it.")
