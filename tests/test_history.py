"""The demo's history holds what it promises, read back from a real InfluxDB.

Eight weeks written through the collector's code (devstack/history.py): a layout
change with the earlier version kept, events that bring visit peaks, a holiday,
an outage that reads as unknown (never free), the entrance node rebooting, and
buzz zones that get lively at busy hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devstack.history import Plan, Stats, plan, write_history, write_layouts
from hubsense import measurements as m
from hubsense.influx import InfluxV1
from hubsense.layout import Layout, load_layout
from hubsense.settings import InfluxSettings, Settings
from hubsense.state import Thresholds

pytestmark = pytest.mark.services

TZ = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 12, 1, 15, 7, tzinfo=TZ)  # a Tuesday afternoon


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory,
            layout: Layout) -> Iterator[tuple[Plan, Stats, InfluxV1]]:
    from devstack.influxdb import InfluxDB
    from devstack.processes import free_port

    work = tmp_path_factory.mktemp("history")
    server = InfluxDB(work / "influxdb", free_port(), free_port()).start()
    try:
        p = plan(layout, NOW)
        settings = Settings(influx=InfluxSettings(url=server.url))
        with InfluxV1(settings.influx) as db:
            yield p, write_history(db, settings, p), db
    finally:
        server.stop()


def ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def q(db: InfluxV1, query: str, **params: Any) -> list[dict[str, Any]]:
    return [row for s in db.query(query, params) for row in s.rows()]


def test_weeks_written_through_the_collector_without_a_rejection(
        history: tuple[Plan, Stats, InfluxV1]) -> None:
    p, stats, _db = history
    assert (p.end - p.start).days >= 8 * 7 - 1 and p.end <= NOW
    assert stats.rejected == 0 and stats.points > 100_000


def test_the_layout_change_is_a_new_capacity_with_the_earlier_version_kept(
        history: tuple[Plan, Stats, InfluxV1], tmp_path: Path) -> None:
    p, _stats, db = history
    assert p.change == (NOW - timedelta(weeks=4)).date()
    current, earlier = write_layouts(p, tmp_path)
    a, b = load_layout(earlier), load_layout(current)
    assert (a.version, b.version) == (b.version - 1, b.version)
    assert a.effective_from == p.start.date() and b.effective_from == p.change
    zone = p.changed_zone
    cap = {lay.version: next(z.capacity for z in lay.zones if z.id == zone) for lay in (a, b)}
    assert cap[a.version] != cap[b.version]
    q_cap = f'SELECT last("capacity") FROM {m.ZONE_STATE} WHERE zone = $z AND time < $t'
    change = datetime.combine(p.change, datetime.min.time(), TZ)
    before = q(db, q_cap, z=zone, t=ms(change) * 1_000_000)
    after = q(db, q_cap, z=zone, t=ms(NOW) * 1_000_000)
    assert before[0]["last"] == cap[a.version] and after[0]["last"] == cap[b.version]


def test_the_outage_reads_unknown_never_free(history: tuple[Plan, Stats, InfluxV1]) -> None:
    p, _stats, db = history
    o = p.outage
    layout = p.current
    buzz = next(layout.zone_of(i) for n in layout.nodes
                if n.id in o.nodes and n.kind.value == "buzz" for i in n.inputs)
    during = o.start + (o.end - o.start) / 2
    rows = q(db, f'SELECT last("status") AS s FROM {m.ZONE_STATE} WHERE zone = $z '
                 "AND time <= $t", z=buzz, t=ms(during) * 1_000_000)
    assert rows[0]["s"] == "unknown"
    after = q(db, f'SELECT last("status") AS s FROM {m.ZONE_STATE} WHERE zone = $z '
                  "AND time <= $t", z=buzz, t=ms(o.end + timedelta(minutes=20)) * 1_000_000)
    assert after[0]["s"] != "unknown"


def test_events_bring_visit_peaks_and_the_holiday_none(
        history: tuple[Plan, Stats, InfluxV1]) -> None:
    p, _stats, db = history
    per_event = []
    for e in p.calendar.events:
        rows = q(db, f'SELECT sum("in") AS n FROM {m.VISITS} WHERE time >= $a AND time < $b',
                 a=ms(e.start) * 1_000_000, b=ms(e.end) * 1_000_000)
        same_evening_week_before = q(
            db, f'SELECT sum("in") AS n FROM {m.VISITS} WHERE time >= $a AND time < $b',
            a=ms(e.start - timedelta(weeks=1)) * 1_000_000,
            b=ms(e.end - timedelta(weeks=1)) * 1_000_000)
        base = same_evening_week_before[0]["n"] if same_evening_week_before else 0
        per_event.append((rows[0]["n"] if rows else 0, base))
    assert len(per_event) == 5
    assert all(during > 2 * base + 10 for during, base in per_event), per_event
    day = datetime.combine(p.holidays[0], datetime.min.time(), TZ)
    rows = q(db, f'SELECT sum("in") AS n FROM {m.VISITS} WHERE time >= $a AND time < $b',
             a=ms(day) * 1_000_000, b=ms(day + timedelta(days=1)) * 1_000_000)
    assert not rows or rows[0]["n"] <= 2


def test_the_door_reboots_and_buzz_zones_get_lively(
        history: tuple[Plan, Stats, InfluxV1]) -> None:
    p, _stats, db = history
    rows = q(db, f'SELECT "boot" FROM {m.PASSAGE}')
    assert len({r["boot"] for r in rows}) == 2, "one reboot of the entrance node"
    lively = Thresholds().lively_db
    loud = q(db, f'SELECT max("laeq") AS top FROM {m.SOUND} WHERE time >= $a',
             a=ms(p.start) * 1_000_000)
    assert loud[0]["top"] > lively
    share = q(db, f'SELECT count("laeq") AS n FROM {m.SOUND} WHERE laeq > $l', l=lively)
    assert share and share[0]["n"] > 100
