"""Whether the collector is live, judged as the API judges it, and how panels follow it.

The API shows every zone unknown while the collector's last heartbeat is older than
state.stale_factor beats (hubsense.state.collector_live): a dead or hung collector
writes nothing, so the last state it wrote would otherwise stand. InfluxQL 1.x cannot
join collector_heartbeat with zone_state, so the check is made once, by Grafana: the
hidden variable `live_site` holds the site only while a beat came within that bound
before the range's end, and every "now" query selects `"site" =~ /^$live_site$/`.
With the collector down they return nothing, which the panels show as unknown.
"""

from __future__ import annotations

from dashboards.panels import SITE, TO, Json, mapping, null_as, panel, some, target, variable
from dashboards.site import Site
from hubsense.measurements import COLLECTOR_HEARTBEAT

LIVE_SITE = '"site" =~ /^$live_site$/'
DOWN = "down"


def _recent(site: Site) -> str:
    return f"time > {TO} - {site.collector_silent_s}s AND time <= {TO}"


def live_site_variable(site: Site) -> Json:
    """The site while its collector is live at the range's end, else nothing."""
    # Grafana takes a SELECT's first column after time as the variable's values.
    return variable("live_site", "Site while its collector is live",
                    f'SELECT "site", "every_s" FROM "{COLLECTOR_HEARTBEAT}" WHERE {SITE} '
                    f"AND {_recent(site)} ORDER BY time DESC LIMIT 1", hide=2, refresh=2)


def collector_panels(site: Site, x: int, y: int) -> list[Json]:
    """Two stats: whether the collector is live, and when it last beat."""
    bound = site.collector_silent_s
    live = panel("stat", "Collector", [target(
        f'SELECT count("every_s") AS "beats" FROM "{COLLECTOR_HEARTBEAT}" WHERE {SITE} '
        f"AND {_recent(site)}")], x, y, 6, 4,
        description=f"Live: the collector sent a heartbeat in the last {bound} s (state."
                    f"stale_factor x collector.heartbeat_s) before the range's end. Down: "
                    "it did not, so nothing it last wrote is current and every \"now\" "
                    "panel shows unknown, as the API and the screen do.")
    live["fieldConfig"]["defaults"].update(noValue=DOWN, mappings=[
        some("live", "green"),
        null_as(DOWN, "red")])
    live["options"] = {"colorMode": "background", "graphMode": "none", "textMode": "value",
                       "reduceOptions": {"calcs": ["last"], "fields": "", "values": False}}
    beat = panel("stat", "Collector's last heartbeat", [target(
        f'SELECT last("every_s") FROM "{COLLECTOR_HEARTBEAT}" WHERE {SITE} AND time <= {TO}')],
        x + 6, y, 6, 4, unit="dateTimeFromNow",
        description="When the collector last said it was running (the point's time).")
    beat["fieldConfig"]["defaults"]["noValue"] = "never"
    beat["options"] = {"colorMode": "none", "graphMode": "none", "textMode": "value",
                       "reduceOptions": {"calcs": ["last"], "fields": "/^Time$/",
                                         "values": False}}
    return [live, beat]


def collector_rows(ref: str) -> Json:
    """Per interval: heartbeats the collector sent, 0 where it was down.

    The panel's minimum interval must be the silence bound (Site.collector_silent_s):
    then a running collector lands at least one beat in every interval.
    """
    return target(f'SELECT count("every_s") AS "collector" FROM "{COLLECTOR_HEARTBEAT}" '
                  f"WHERE {SITE} AND $timeFilter GROUP BY time($__interval) fill(0)", ref,
                  alias="collector")


COLLECTOR_ROWS = [
    mapping({"0": (f"collector {DOWN}", "red")}),
    some("collector live", "green")]
