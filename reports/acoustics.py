"""Acoustics: the share of opening hours each zone's LAeq was above its target.

Targets are per zone kind (report.noise_targets, defaults from what each kind
is for). The rollups keep, per zone with a microphone and hour, the seconds of
opening hours at each whole-dB LAeq band, so a new target applies to history
without re-rolling. A zone with two microphones counts each one's time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from hubsense.influx import InfluxV1
from hubsense.layout import Layout, Measure, ZoneKind
from hubsense.measurements import SOUND_HOUR
from hubsense.measurements import in_rollup_rp as measurement
from hubsense.settings import ReportSettings
from reports.hours import HOUR_MS, Calendar, Period
from reports.rollup import watermark
from reports.source import WHERE, window
from reports.utilization import describe_opening
from reports.versions import Versions

H = 3600.0


@dataclass(frozen=True)
class ZoneSound:
    """One zone with a microphone over a period; hours are within opening hours."""

    zone: str
    kind: ZoneKind
    target_db: int  # LAeq above this is too loud for what the zone is for
    open_h: float
    measured_h: float  # with a known LAeq
    above_h: float
    above_share: float | None = None  # of the measured hours
    measured_share: float | None = None  # of the opening hours


@dataclass(frozen=True)
class AcousticsReport:
    site: str
    period: Period
    zones: list[ZoneSound]
    opening_hours: str
    rollups_through: datetime | None = None
    in_progress: bool = False
    counted_through: datetime | None = None


def microphones(layout: Layout) -> dict[str, ZoneKind]:
    """Zones of this layout that a microphone listens to, with their kind."""
    mic = {layout.zone_of(i) for n in layout.nodes for i in n.inputs
           if i.measures is Measure.SOUND}
    return {z.id: z.kind for z in layout.zones if z.id in mic}


def above(sums: dict[str, float], target_db: int) -> float:
    """Seconds above `target` from the per-band sums (band N holds LAeq in (N-1, N])."""
    return sum(v for k, v in sums.items() if k.startswith("db_") and int(k[3:]) > target_db)


def acoustics(db: InfluxV1, layout: Layout | Versions, cfg: ReportSettings, period: Period,
              now_ms: int | None = None) -> AcousticsReport:
    """Per zone with a microphone: opening hours, how many had a level, how many above target."""
    period.check(cfg.max_range_days)
    versions = layout if isinstance(layout, Versions) else Versions.of(layout)
    site = versions.current.site.id
    cal = Calendar.from_settings(cfg, versions.current.site.timezone)
    now = int(time.time() * 1000) if now_ms is None else now_ms
    mark = watermark(db, site)
    start, end = period.bounds(cal)
    cut = max(start, min(end, max(now - now % HOUR_MS, mark or 0)))
    days = [d for d in (period.first + timedelta(days=i) for i in range(period.days))
            if cal.midnight_ms(d) < cut]
    kinds: dict[str, ZoneKind] = {}
    open_s: dict[str, float] = {}
    for run in versions.runs(days):
        mics = microphones(versions.in_force(run.first))
        kinds.update(mics)
        a, b = run.bounds(cal)
        seconds = sum(y - x for x, y in cal.open_spans(a, min(b, cut))) / 1000
        for z in mics:
            open_s[z] = open_s.get(z, 0.0) + seconds
    sums: dict[str, dict[str, float]] = {}
    if mark is not None and start < cut:
        q = f"SELECT sum(*) FROM {measurement(SOUND_HOUR)} WHERE {WHERE} GROUP BY zone"
        for s in db.query(q, window(site, start, cut)):
            row = s.rows()[0]
            sums[s.tags["zone"]] = {k.removeprefix("sum_"): float(v) for k, v in row.items()
                                    if k != "time" and v is not None}
    zones = []
    for z, kind in kinds.items():
        got = sums.get(z, {})
        target = cfg.noise_targets[kind]
        measured, loud = got.get("open_sound_s", 0.0), above(got, target)
        zones.append(ZoneSound(z, kind, target, open_s[z] / H, measured / H, loud / H,
                               loud / measured if measured else None,
                               measured / open_s[z] if open_s[z] else None))
    return AcousticsReport(site, period, zones, describe_opening(cfg),
                           None if mark is None else cal.local(mark), cut < end, cal.local(cut))

