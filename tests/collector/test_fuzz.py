"""Fuzzed topics and payloads: ingest never raises, never emits a line for a bad message,
and nothing but layout ids ever becomes a measurement or tag value in InfluxDB."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.ingest import Ingest
from collector.live import LiveState
from collector.metrics import Metrics
from collector.points import PointBuilder
from collector.topics import TopicTable
from hubsense import measurements
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings
from hubsense.state import SiteTracker
from tests.collector.conftest import SITE

NASTY = st.sampled_from(["", " ", ",", "=", '"', "\\", "\n", "a\n", "desk-q1\n", "desk-q1 ",
                         "desk-q1,zone=x", "DESK-Q1", "x" * 300, "+", "#", "\x00", "ö"])
ID = st.one_of(st.sampled_from(["desk-q1", "buzz-n", "door-1", "ghost"]), NASTY, st.text())
LEAF = st.one_of(st.sampled_from(["status", "heartbeat", "in/1", "in/2", "in/9", "in/01"]),
                 st.builds(lambda x: f"in/{x}", st.one_of(NASTY, st.text())), st.text())
TOPIC = st.one_of(
    st.builds(lambda n, leaf: f"hubsense/v1/{SITE}/node/{n}/{leaf}", ID, LEAF),
    st.builds(lambda s, n: f"hubsense/v1/{s}/node/{n}/status", NASTY, ID), st.text())
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | NASTY,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(), kids, max_size=3),
    max_leaves=6)
KEYS = st.sampled_from(["seq", "ts", "synced", "present", "count", "laeq", "lamax", "boot",
                        "in", "out", "fw", "uptime_s", "heap_free", "rssi", "drops", "x"])
PAYLOAD = st.one_of(
    st.binary(max_size=200),
    st.dictionaries(KEYS, JSON_VALUE, max_size=8).map(lambda d: json.dumps(d).encode()),
    st.sampled_from([b"online", b"offline", b"Online", b"online\n"]))

LINE = re.compile(r"^([a-z_]+)((?:,[a-z_]+=[a-z0-9_-]+)*) \S+ \d+$")


def clock() -> float:
    return 1_795_426_000.0


@pytest.fixture(scope="module")
def ingest(layout: Layout) -> Ingest:
    """A collector's whole path from message to lines, with nowhere to publish."""
    metrics, points = Metrics(), PointBuilder(layout)
    live = LiveState(SiteTracker(layout), points, metrics, lambda _t, _p: None,
                     lambda _lines: None, clock, interval_s=1, heartbeat_s=30)
    return Ingest(TopicTable(layout), metrics, clock, points=points, live=live)


def allowed_tags(layout: Layout) -> dict[str, set[str]]:
    return {"site": {SITE}, "zone": {z.id for z in layout.zones},
            "desk": {d.id for d in layout.desks}, "node": {n.id for n in layout.nodes},
            "input": {str(i.n) for n in layout.nodes for i in n.inputs}}


MEASUREMENTS = {*measurements.OBSERVATION.values(), measurements.VISITS,
                measurements.NODE_HEARTBEAT, measurements.NODE_STATUS,
                measurements.DESK_STATE, measurements.ZONE_STATE}
EMITTED: list[str] = []


@settings(max_examples=800, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(topic=TOPIC, payload=PAYLOAD)
def test_fuzzed_messages(ingest: Ingest, layout: Layout, topic: str, payload: bytes) -> None:
    before = sum(ingest.metrics.rejected.values())
    lines = ingest.handle(topic, payload)
    assert ingest.metrics.internal_errors == 0
    rejected = sum(ingest.metrics.rejected.values()) - before
    assert rejected in (0, 1) and not (rejected and lines)
    tags = allowed_tags(layout)
    for line in lines:
        m = LINE.match(line.split(" ", 1)[0] + " x " + line.rsplit(" ", 1)[1])
        assert m, line
        assert m.group(1) in MEASUREMENTS
        for kv in filter(None, m.group(2).split(",")):
            k, v = kv.split("=")
            assert v in tags[k], line
    EMITTED.extend(lines)


@pytest.mark.services
def test_fuzzed_lines_in_influx_add_no_measurement_or_tag_value(
        influx_settings: InfluxSettings, layout: Layout, ingest: Ingest) -> None:
    # Whatever the fuzz run let through, written to a real InfluxDB:
    valid = [
        (f"hubsense/v1/{SITE}/node/desk-q1/in/1", b'{"seq":1,"ts":1795426000000,"present":true}'),
        (f"hubsense/v1/{SITE}/node/desk-q1/status", b"online"),
    ]
    lines = EMITTED + [line for t, p in valid for line in ingest.handle(t, p)]
    with InfluxV1(influx_settings) as db:
        db.create_database()
        db.write_lines("\n".join(lines))
        got = {v[0] for s in db.query("SHOW MEASUREMENTS") for v in s.values}
        assert got <= MEASUREMENTS and "presence" in got
        tags = allowed_tags(layout)
        for key, allowed in tags.items():
            for s in db.query(f'SHOW TAG VALUES WITH KEY = "{key}"'):
                assert {v[1] for v in s.values} <= allowed
