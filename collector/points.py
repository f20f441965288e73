"""The points the collector writes, as InfluxDB line protocol; pure, tags compiled once.

Every tag value comes from the layout (ids restricted to a charset that needs
no escaping), never from a payload, so no message can inject line protocol.
The point time is the node's timestamp, so a redelivery overwrites its point.
"""

from __future__ import annotations

from hubsense.contract import HeartbeatPayload, Observation
from hubsense.layout import ID_RE, Layout, Measure
from hubsense.measurements import (
    COLLECTOR_HEARTBEAT,
    DESK_STATE,
    NODE_HEARTBEAT,
    NODE_STATUS,
    OBSERVATION,
    PASSAGE,
    VISITS,
    ZONE_STATE,
)
from hubsense.state import DeskState, ZoneState


def _tags(tags: dict[str, str]) -> str:
    for k, v in tags.items():
        # The layout already guarantees this; a failure here is a start-up error.
        if not ID_RE.fullmatch(v) and not v.isdigit():
            raise ValueError(f"tag {k}={v!r} is not a layout id")
    return "".join(f",{k}={tags[k]}" for k in sorted(tags))


def _b(v: bool) -> str:
    return "true" if v else "false"


class PointBuilder:
    """Render observations, heartbeats and state changes as line protocol (ms precision)."""

    def __init__(self, layout: Layout) -> None:
        self.site = layout.site.id
        self._input: dict[tuple[str, int], str] = {}
        self._node: dict[str, str] = {}
        for node in layout.nodes:
            self._node[node.id] = _tags({"site": self.site, "node": node.id})
            for inp in node.inputs:
                tags = {"site": self.site, "zone": layout.zone_of(inp), "node": node.id,
                        "input": str(inp.n)}
                if inp.desk is not None:
                    tags["desk"] = inp.desk
                self._input[(node.id, inp.n)] = OBSERVATION[inp.measures] + _tags(tags) + " "

    def observation(self, obs: Observation) -> str:
        p = obs.payload
        m = obs.measure
        if m is Measure.PRESENCE:
            fields = f"present={_b(bool(p.present))}"
        elif m is Measure.COUNT:
            fields = f"count={p.count}i"
        elif m is Measure.SOUND:
            fields = f"laeq={float(p.laeq or 0)!r},lamax={float(p.lamax or 0)!r}"
        else:  # boot is validated hex: safe inside a string field
            fields = f'boot="{p.boot}",in_total={p.ins}i,out_total={p.outs}i'
        return (f"{self._input[(obs.node, obs.n)]}{fields},seq={obs.seq}i,"
                f"synced={_b(obs.synced)} {obs.ts_ms}")

    def visits(self, obs: Observation, ins: int, outs: int) -> str:
        prefix = self._input[(obs.node, obs.n)].replace(PASSAGE, VISITS, 1)
        return f"{prefix}in={ins}i,out={outs}i {obs.ts_ms}"

    def heartbeat(self, node: str, hb: HeartbeatPayload, ts_ms: int) -> str:
        # fw and boot are pattern-validated: no quote or backslash can reach here.
        fields = (f'boot="{hb.boot}",fw="{hb.fw}",uptime_s={hb.uptime_s}i,'
                  f"heap_free={hb.heap_free}i,drops={hb.drops}i,seq={hb.seq}i")
        if hb.rssi is not None:
            fields += f",rssi={hb.rssi}i"
        return f"{NODE_HEARTBEAT}{self._node[node]} {fields} {ts_ms}"

    def node_status(self, node: str, online: bool, now_ms: int) -> str:
        return f"{NODE_STATUS}{self._node[node]} online={_b(online)} {now_ms}"

    def collector_heartbeat(self, every_s: float, started: bool, now_ms: int) -> str:
        tags = _tags({"site": self.site})
        return (f"{COLLECTOR_HEARTBEAT}{tags} every_s={round(every_s)}i,started={_b(started)} "
                f"{now_ms}")

    # State points are stamped when the collector decided them; `updated_ms` is the
    # node's (synced) time of the observation behind them, for reports to place a
    # change on the node's clock (reports/timeline.py).
    def desk_state(self, d: DeskState, now_ms: int) -> str:
        tags = _tags({"site": self.site, "zone": d.zone, "desk": d.id})
        since = "" if d.updated_ms is None else f",updated_ms={d.updated_ms}i"
        return f'{DESK_STATE}{tags} status="{d.status.value}"{since} {now_ms}'

    def zone_state(self, z: ZoneState, now_ms: int) -> str:
        fields = [f'status="{z.status.value}"', f"stale={_b(z.stale)}",
                  f"at_least={_b(z.at_least)}",
                  f"capacity={z.capacity}i", f"desks_unknown={z.desks_unknown}i"]
        if z.occupied is not None:
            fields.append(f"occupied={z.occupied}i")
        if z.desks_free is not None:
            fields.append(f"desks_free={z.desks_free}i")
        if z.laeq is not None:
            fields.append(f"laeq={float(z.laeq)!r}")
        if z.noise is not None:
            fields.append(f'noise="{z.noise.value}"')
        if z.updated_ms is not None:
            fields.append(f"updated_ms={z.updated_ms}i")
        tags = _tags({"site": self.site, "zone": z.id})
        return f"{ZONE_STATE}{tags} {','.join(fields)} {now_ms}"
