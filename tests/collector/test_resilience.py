"""Nothing lost, nothing doubled: InfluxDB outages, collector crashes, replays."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from collector.service import Collector
from devstack.influxdb import InfluxDB
from hubsense.influx import InfluxV1
from hubsense.settings import Settings
from tests.collector.conftest import NodeSim, count, stream, wait_for
from tests.collector.test_process import start_collector

pytestmark = pytest.mark.services

N = 3000


def seq_sum(db: InfluxV1) -> int:
    s = db.query('SELECT sum("seq") FROM "zone_count"')
    return int(s[0].values[0][1]) if s else 0


def assert_exactly_once(db: InfluxV1, n: int) -> None:
    wait_for(lambda: count(db, "zone_count") >= n, timeout=60, what=f"{n} points")
    assert count(db, "zone_count") == n
    assert seq_sum(db) == n * (n - 1) // 2  # every seq once: none missing, none twice


def test_influxdb_down_mid_stream_spools_and_replays(
        collector: Collector, tester: NodeSim, influxdb: InfluxDB, influx: InfluxV1) -> None:
    msgs = stream(N)
    tester.publish_many(msgs[:1000])
    wait_for(lambda: count(influx, "zone_count") == 1000, what="first third written")

    influxdb.stop()
    # A 30 s outage with the stream going on, long enough for the writer's retry
    # backoff to reach its ceiling several times over.
    for i in range(1000, 2000, 100):
        tester.publish_many(msgs[i:i + 100])
        time.sleep(3)
    wait_for(lambda: collector.metrics.messages >= 2000 and collector.writer.idle.is_set(),
             what="second third received")
    # Acknowledged to the broker, yet not in InfluxDB: on disk, in the spool.
    assert collector.metrics.spool_bytes > 0 and collector.metrics.write_errors > 0
    assert collector.writer.spool.bytes == collector.metrics.spool_bytes

    influxdb.start()
    tester.publish_many(msgs[2000:])
    assert_exactly_once(influx, N)
    wait_for(lambda: collector.writer.spool.bytes == 0, what="spool empty")
    assert collector.metrics.spool_full == 0 and collector.metrics.points_dropped == 0


def test_collector_killed_mid_stream_loses_and_doubles_nothing(
        collector_settings: Settings, tester: NodeSim, influx: InfluxV1, tmp_path: Path) -> None:
    msgs = stream(N)
    proc = start_collector(collector_settings, tmp_path)
    try:
        wait_for(lambda: tester.get("hubsense/v1/hbg-works/collector/status") == b"online",
                 timeout=20, what="collector online")
        tester.publish_many(msgs[:1500])
        wait_for(lambda: count(influx, "zone_count") > 200, what="some written")
        proc.signal(signal.SIGKILL)
        assert proc.proc is not None
        proc.proc.wait(5)
        # Published while no collector runs: the persistent session queues them.
        tester.publish_many(msgs[1500:])
        wait_for(lambda: tester.get("hubsense/v1/hbg-works/collector/status") == b"offline",
                 what="last will")
        proc = start_collector(collector_settings, tmp_path, name="collector2")
        assert_exactly_once(influx, N)
    finally:
        proc.stop()


def test_same_stream_twice_changes_no_count(
        collector: Collector, tester: NodeSim, influx: InfluxV1) -> None:
    msgs = stream(1000)
    tester.publish_many(msgs)
    assert_exactly_once(influx, 1000)
    tester.publish_many(msgs)
    wait_for(lambda: collector.metrics.messages >= 2000, what="replay received")
    wait_for(collector.writer.idle.is_set, what="replay written")
    assert collector.metrics.points_written >= 2000
    assert_exactly_once(influx, 1000)
