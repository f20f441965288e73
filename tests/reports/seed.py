"""Seed InfluxDB in the collector's own schema, rendered by the collector's PointBuilder.

Using the collector's renderer means a change to what it writes breaks these
tests instead of leaving reports and dashboards reading a schema nobody writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.points import PointBuilder
from hubsense.contract import HeartbeatPayload, Observation, ObservationPayload
from hubsense.influx import InfluxV1, Point
from hubsense.layout import Layout, Measure
from hubsense.measurements import COLLECTOR_HEARTBEAT
from hubsense.state import SEATABLE, DeskState, DeskStatus, ZoneState, ZoneStatus


@dataclass
class Seeder:
    """Collects line protocol for one layout, then writes it in one request."""

    layout: Layout
    lines: list[str] = field(default_factory=list)
    seq: int = 0

    def __post_init__(self) -> None:
        self.lb = PointBuilder(self.layout)

    def desk(self, t_ms: int, desk: str, status: str, node_ms: int | None = None) -> None:
        """A desk's state as the collector writes it at `t`; `node_ms`: the node's time of
        the observation behind it (its DeskState.updated_ms)."""
        zone = next(d.zone for d in self.layout.desks if d.id == desk)
        self.lines.append(self.lb.desk_state(DeskState(
            id=desk, zone=zone, status=DeskStatus(status), updated_ms=node_ms), t_ms))

    def zone(self, t_ms: int, zone_id: str, occupied: int | None, stale: bool = False,
             laeq: float | None = None, node_ms: int | None = None) -> None:
        z = self.layout.zone(zone_id)
        assert z is not None
        desks = len(self.layout.desks_in(zone_id))
        status = ZoneStatus.UNKNOWN if occupied is None else ZoneStatus.FREE
        self.lines.append(self.lb.zone_state(ZoneState(
            id=z.id, name=z.name, kind=z.kind, seatable=z.kind in SEATABLE, capacity=z.capacity,
            status=status, occupied=occupied, desks_total=desks,
            desks_free=None if occupied is None or not desks else desks - occupied,
            desks_unknown=desks if occupied is None else 0, laeq=laeq, stale=stale,
            updated_ms=node_ms), t_ms))

    def observe(self, t_ms: int, node: str, n: int, **values: object) -> None:
        nd = self.layout.node(node)
        assert nd is not None
        inp = nd.input(n)
        assert inp is not None
        self.seq += 1
        payload = ObservationPayload.model_validate(
            {"seq": self.seq, "ts": t_ms, "synced": True, **values})
        self.lines.append(self.lb.observation(Observation(
            node=node, n=n, measure=inp.measures, zone=self.layout.zone_of(inp), desk=inp.desk,
            ts_ms=t_ms, seq=self.seq, synced=True, payload=payload)))

    def passage(self, t_ms: int, node: str, boot: str, ins: int, outs: int = 0) -> None:
        nd = self.layout.node(node)
        assert nd is not None
        n = next(i.n for i in nd.inputs if i.measures is Measure.PASSAGE)
        self.observe(t_ms, node, n, boot=boot, **{"in": ins, "out": outs})

    def heartbeat(self, t_ms: int, node: str, rssi: int = -60, drops: int = 0) -> None:
        self.seq += 1
        hb = HeartbeatPayload(seq=self.seq, ts=t_ms, boot="ab12", fw="0.1.0", uptime_s=60,
                              heap_free=60000, rssi=rssi, drops=drops)
        self.lines.append(self.lb.heartbeat(node, hb, t_ms))

    def sound(self, t_ms: int, node: str, laeq: float) -> None:
        """An LAeq over the node's interval ending at `t`, from its microphone input."""
        nd = self.layout.node(node)
        assert nd is not None
        n = next(i.n for i in nd.inputs if i.measures is Measure.SOUND)
        self.observe(t_ms, node, n, laeq=laeq, lamax=laeq + 10)

    def collector(self, t_ms: int, every_s: int = 30, started: bool = False) -> None:
        """One collector heartbeat, as the collector writes it (hubsense.downtime)."""
        self.lines.append(Point(COLLECTOR_HEARTBEAT, {"site": self.layout.site.id},
                                {"every_s": every_s, "started": started}, t_ms).line())

    def collector_up(self, start_ms: int, end_ms: int, every_s: int = 30,
                     started: bool = True) -> None:
        """A collector running from `start` to `end`: a beat every `every_s` seconds, the
        first one `started` (it just began) unless told otherwise."""
        for i, t in enumerate(range(start_ms, end_ms + 1, every_s * 1000)):
            self.collector(t, every_s, started and i == 0)

    def status(self, t_ms: int, node: str, online: bool) -> None:
        self.lines.append(self.lb.node_status(node, online, t_ms))

    def write(self, db: InfluxV1) -> None:
        db.create_database()
        for i in range(0, len(self.lines), 5000):
            db.write_lines("\n".join(self.lines[i:i + 5000]))
        self.lines.clear()
