"""The demo's history: weeks of a hub, written through the collector's own code.

Messages shaped as the firmware sends them (devstack/model.py supplies the
readings, the same model the live demo nodes follow) go through the
collector's ingest (validation, the tracker, the visit rule) and live state
(what each zone and desk shows, its state points and the collector's
heartbeat), and the rollup job's own code rolls them up. So the history and
the live demo agree, and a report on the history is a report on what the
collector would have written.

What it holds (`Plan`): eight weeks up to now; a layout change four weeks ago
that halves a buzz zone's seats while as many people keep coming, so it has been
overused since (the earlier version is kept, as a file);
five evening events with a crowd at the door; a holiday; an afternoon when a
buzz zone's node and a desk node were off for a few hours (unknown, never
free); and the entrance node rebooting, its totals starting again from zero.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from collector.ingest import Ingest
from collector.live import LiveState
from collector.metrics import Metrics
from collector.points import PointBuilder
from collector.topics import TopicTable
from devstack.model import Calendar, Event, HubModel, Reading
from hubsense.contract import input_topic, node_topic
from hubsense.influx import InfluxV1
from hubsense.layout import Layout, Measure, Zone, ZoneKind, load_layout
from hubsense.settings import ReportSettings, Settings
from hubsense.state import SiteTracker, Thresholds
from reports.events import Event as HubEvent
from reports.events import event_id, save_event
from reports.rollup import Rollup
from reports.versions import Versions

log = logging.getLogger(__name__)

STEP_S = 300  # the history's resolution: every node reports every five minutes
# The collector of the history beats with every step (collector.heartbeat_s may be
# up to 300): reports then know it was running throughout.
BEAT_S = 300
BATCH = 20_000  # lines per InfluxDB write


@dataclass(frozen=True)
class Outage:
    nodes: tuple[str, ...]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Plan:
    """What the history holds, dated from the day the demo starts."""

    start: datetime  # local midnight, `weeks` before today
    end: datetime  # now, to the step
    change: date  # the day the current layout version took effect
    earlier: Layout  # the version before it
    current: Layout
    calendar: Calendar
    outage: Outage
    door_reboot: datetime
    changed_zone: str

    @property
    def holidays(self) -> list[date]:
        return sorted(self.calendar.holidays)


def _weekday_on_or_after(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def plan(layout: Layout, now: datetime, weeks: int = 8) -> Plan:
    """Date the history's story relative to `now` (local, aware)."""
    tz = now.tzinfo
    assert isinstance(tz, ZoneInfo)
    today = now.date()
    start = datetime.combine(today - timedelta(weeks=weeks), dtime(0), tz)
    change = today - timedelta(weeks=weeks // 2)
    zone = _zone_to_change(layout)
    earlier = _version(layout, layout.version, start.date(), {zone.id: zone.capacity * 2})
    current = _version(layout, layout.version + 1, change, {})

    def evening(weeks_ago: int, weekday: int, zone_id: str, name: str, crowd: int) -> Event:
        d = _weekday_on_or_after(today - timedelta(weeks=weeks_ago), weekday)
        if d >= today:
            d -= timedelta(weeks=1)
        return Event(name, datetime.combine(d, dtime(17, 30), tz),
                     datetime.combine(d, dtime(20, 30), tz), zone_id, crowd)

    social = [z.id for z in layout.zones if z.kind in (ZoneKind.BUZZ_ZONE, ZoneKind.LOUNGE)]
    events = [evening(7, 1, social[0], "Startup night", 45),
              evening(5, 3, social[-1], "Open data meetup", 25),
              evening(3, 2, social[0], "Demo day", 60),
              evening(2, 1, social[len(social) // 2], "Design critique", 20),
              evening(1, 3, social[0], "Founders' evening", 40)]
    holiday = _weekday_on_or_after(today - timedelta(weeks=6), 0)  # a Monday, closed
    outage_day = _weekday_on_or_after(today - timedelta(weeks=2), 2)  # a Wednesday
    offable = [n.id for n in layout.nodes if n.kind.value in ("buzz", "desk")]
    outage = Outage((offable[-1], offable[0]), datetime.combine(outage_day, dtime(9, 30), tz),
                    datetime.combine(outage_day, dtime(13, 30), tz))
    reboot = datetime.combine(_weekday_on_or_after(today - timedelta(weeks=3), 3),
                              dtime(12, 5), tz)
    end = datetime.fromtimestamp(int(now.timestamp()) // STEP_S * STEP_S, tz)
    return Plan(start, end, change, earlier, current,
                Calendar(holidays={holiday}, events=events), outage, reboot, zone.id)


def _zone_to_change(layout: Layout) -> Zone:
    """The zone whose capacity the layout change altered: the first buzz zone."""
    return next((z for z in layout.zones if z.kind is ZoneKind.BUZZ_ZONE), layout.zones[0])


def _version(layout: Layout, version: int, effective: date, capacity: dict[str, int]) -> Layout:
    data = layout.model_dump(mode="json")
    data["version"], data["effective_from"] = version, effective.isoformat()
    for z in data["zones"]:
        z["capacity"] = capacity.get(z["id"], z["capacity"])
    return Layout.model_validate(data)


def write_layouts(p: Plan, workdir: Path) -> tuple[Path, Path]:
    """The two layout versions as files: (current, earlier)."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = []
    for lay, name in ((p.current, "layout.yaml"), (p.earlier, "layout-earlier.yaml")):
        path = workdir / name
        path.write_text("# Written by `hubsense up` for the demo's history.\n" + yaml.safe_dump(
            lay.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True))
        load_layout(path)  # what a service will read must load
        out.append(path)
    return out[0], out[1]


@dataclass
class _Node:
    boot: str
    seq: int = 0
    sent: dict[int, Reading] = field(default_factory=dict)
    booted: float = 0.0
    off: bool = False


class _Writer:
    """Collects lines and writes them in large batches."""

    def __init__(self, db: InfluxV1) -> None:
        self.db = db
        self.lines: list[str] = []
        self.points = 0

    def add(self, lines: list[str]) -> None:
        self.lines += lines
        if len(self.lines) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.db.write_lines("\n".join(self.lines))
            self.points += len(self.lines)
            self.lines = []


def _steps(p: Plan) -> Iterator[datetime]:
    t = p.start
    while t <= p.end:
        yield t
        t += timedelta(seconds=STEP_S)


class _Collector:
    """The collector's message path for one layout version, with the history's clock."""

    def __init__(self, layout: Layout, settings: Settings, clock: list[float],
                 out: _Writer) -> None:
        points = PointBuilder(layout)
        metrics = Metrics()
        self.live = LiveState(SiteTracker(layout, Thresholds.of(settings.state)), points,
                              metrics, lambda _t, _p: None, out.add, lambda: clock[0],
                              interval_s=STEP_S, heartbeat_s=BEAT_S)
        self.ingest = Ingest(TopicTable(layout), metrics, lambda: clock[0], points=points,
                             live=self.live)
        self.metrics = metrics


@dataclass
class Stats:
    messages: int
    points: int
    rejected: int
    seconds: float


def write_history(db: InfluxV1, settings: Settings, p: Plan, seed: int = 7) -> Stats:
    """Write the plan's weeks into InfluxDB through the collector's code, then roll up."""
    t0 = time.monotonic()
    db.create_database()
    out = _Writer(db)
    rng = random.Random(seed)
    model = HubModel(p.earlier, p.calendar, seed)
    site = p.current.site.id
    clock = [p.start.timestamp()]
    versions = [(p.earlier.effective_from, p.earlier), (p.change, p.current)]
    nodes = {n.id: _Node(f"{rng.getrandbits(32):08x}", booted=clock[0]) for n in p.current.nodes}
    collector: _Collector | None = None
    layout: Layout | None = None
    messages = rejected = 0

    def send(topic: str, body: dict[str, object] | bytes) -> None:
        nonlocal messages
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        assert collector is not None
        out.add(collector.ingest.handle(topic, payload))
        messages += 1

    for when in _steps(p):
        now = clock[0] = when.timestamp()
        in_force = max((v for v in versions if v[0] is None or v[0] <= when.date()),
                       key=lambda v: v[1].version)[1]
        if in_force is not layout:  # a layout change: the collector takes the new version
            if collector is not None:
                rejected += sum(collector.metrics.rejected.values())
            layout = in_force
            model.use_layout(layout)
            collector = _Collector(layout, settings, clock, out)
            for n in nodes.values():
                n.sent.clear()
            for node_id in nodes:
                send(node_topic(site, node_id, "status"), b"online")
        assert collector is not None
        if abs((when - p.door_reboot).total_seconds()) < STEP_S / 2:
            model.reboot_door()
            door = next(n.id for n in layout.nodes if n.kind.value == "entrance")
            nodes[door] = _Node(f"{rng.getrandbits(32):08x}", booted=now)
        readings = model.readings(when)
        off_now = p.outage.start <= when < p.outage.end
        for node in layout.nodes:
            n = nodes[node.id]
            if node.id in p.outage.nodes and off_now != n.off:
                n.off = off_now  # powered off: its will says so; back: a new boot
                if off_now:
                    send(node_topic(site, node.id, "status"), b"offline")
                    continue
                nodes[node.id] = n = _Node(f"{rng.getrandbits(32):08x}", booted=now)
                send(node_topic(site, node.id, "status"), b"online")
            if n.off:
                continue
            ts = int(now * 1000)
            for inp in node.inputs:
                value = readings[(node.id, inp.n)]
                if n.sent.get(inp.n) == value:
                    continue  # nodes publish on change
                n.sent[inp.n] = value
                n.seq += 1
                send(input_topic(site, node.id, inp.n),
                     {"seq": n.seq, "ts": ts, "synced": True, **_fields(inp.measures, value,
                                                                        n.boot)})
            n.seq += 1
            send(node_topic(site, node.id, "heartbeat"),
                 {"seq": n.seq, "ts": ts, "synced": True, "boot": n.boot, "fw": "0.1.0",
                  "uptime_s": int(now - n.booted), "heap_free": 3200, "drops": 0})
        collector.live.evaluate()
        collector.live.beat()
    out.flush()
    assert collector is not None
    rejected += sum(collector.metrics.rejected.values())
    _register_events(db, p)
    _roll_up(db, settings.report, p)
    return Stats(messages, out.points, rejected, time.monotonic() - t0)


def _fields(measure: Measure, value: Reading, boot: str) -> dict[str, object]:
    if measure is Measure.PRESENCE:
        return {"present": value}
    if measure is Measure.COUNT:
        return {"count": value}
    if measure is Measure.SOUND:
        assert isinstance(value, float)
        return {"laeq": value, "lamax": round(value + 6.5, 1)}
    assert isinstance(value, tuple)
    return {"boot": boot, "in": value[0], "out": value[1]}


def _register_events(db: InfluxV1, p: Plan) -> None:
    for e in p.calendar.events:
        start = int(e.start.timestamp() * 1000)
        save_event(db, p.current, HubEvent(event_id(e.name, e.start.date()), e.name, start,
                                           int(e.end.timestamp() * 1000), (e.zone,)))


def report_settings(cfg: ReportSettings, p: Plan) -> ReportSettings:
    """The demo's report settings: its holiday is one."""
    return cfg.model_copy(update={"holidays": sorted({*cfg.holidays, *p.holidays})})


def _roll_up(db: InfluxV1, cfg: ReportSettings, p: Plan) -> None:
    versions = Versions.of(p.current, [p.earlier])
    Rollup(db, versions, report_settings(cfg, p)).run(
        p.start.date(), p.end.date(), until_ms=int(p.end.timestamp() * 1000))
