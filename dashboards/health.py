"""Sensor health: the collector, nodes heard, online and last heartbeat, signal, memory,
queue drops, coverage."""

from __future__ import annotations

from dashboards.liveness import collector_panels
from dashboards.panels import (
    SITE,
    WHERE,
    ZONE_VAR,
    Json,
    dashboard,
    latest,
    mapping,
    panel,
    site_variable,
    some,
    target,
    variable,
)
from dashboards.site import Site
from hubsense.measurements import NODE_HEARTBEAT, NODE_STATUS, ZONE_HOUR
from hubsense.measurements import in_rollup_rp as measurement

NODE = '"node" =~ /^$node$/'
NODES = f"{SITE} AND {NODE}"
HEARTBEATS = f'FROM "{NODE_HEARTBEAT}" WHERE {NODES} AND $timeFilter'


def _heard(site: Site) -> Json:
    p = panel("state-timeline", "Nodes heard", [target(
        f'SELECT count("seq") {HEARTBEATS} GROUP BY time($__interval), "node" fill(0)',
        alias="$tag_node")], 0, 4, 24, 8, interval=f"{site.node_silent_s}s",
        description=f"Heartbeats per interval of at least {site.node_silent_s} s "
                    "(state.stale_factor heartbeats of the slowest node): none means the "
                    "node was silent and its inputs unknown.")
    p["fieldConfig"]["defaults"]["mappings"] = [
        mapping({"0": ("silent", "red")}),
        some("heard", "green")]
    p["options"] = {"mergeValues": True, "showValue": "never"}
    return p


def _chart(title: str, select: str, y: int, x: int, site: Site, **kw: str) -> Json:
    """A per-node heartbeat figure; an interval without a heartbeat is a gap."""
    p = panel("timeseries", title, [target(
        f'SELECT {select} {HEARTBEATS} GROUP BY time($__interval), "node" fill(null)',
        alias="$tag_node")], x, y, 12, 8, interval=f"{site.node_silent_s}s", **kw)
    p["fieldConfig"]["defaults"]["custom"] = {"spanNulls": False}
    return p


def build(site: Site) -> Json:
    node_var = variable("node", "Node",
                        f'SHOW TAG VALUES FROM "{NODE_HEARTBEAT}" WITH KEY = "node" '
                        f"WHERE {SITE}", multi=True)
    return dashboard("hubsense-health", "hubsense: sensor health", site, [
        *collector_panels(site, 0, 0),
        _heard(site),
        panel("table", "Nodes: online and last heartbeat", [
            target(latest('"online"', NODE_STATUS, NODES, '"node"'), fmt="table", ref="A"),
            target(latest('"fw" AS "firmware", "uptime_s", "heap_free", "rssi", "drops"',
                          NODE_HEARTBEAT, NODES, '"node"'), fmt="table", ref="B")],
            0, 12, 24, 9, transformations=[
                {"id": "joinByField", "options": {"byField": "node", "mode": "outer"}}],
            description="Each node's last birth or will (online) and its last heartbeat, "
                        "up to the range's end, however long ago."),
        _chart("Wi-Fi signal (RSSI)", 'mean("rssi")', 21, 0, site, unit="dBm"),
        _chart("Free heap", 'min("heap_free")', 21, 12, site, unit="bytes"),
        _chart("Messages dropped from node queues", 'max("drops")', 29, 0, site,
               description="Counted since boot by each node; any rise is lost data."),
        panel("bargauge", "Zone coverage: known share of time", [target(
            f'SELECT sum("known_s") / sum("span_s") FROM {measurement(ZONE_HOUR)} '
            f'WHERE {WHERE} AND "span_s" > 0 GROUP BY "zone"', alias="$tag_zone")],
            12, 29, 12, 8, unit="percentunit"),
    ], [site_variable(site), ZONE_VAR, node_var], time_from="now-24h", refresh="1m")
