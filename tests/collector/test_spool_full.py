"""A full spool is loud (a log line and a metric) and loses nothing: the broker holds the rest."""

from __future__ import annotations

import logging

import pytest

from collector.service import Collector
from devstack.influxdb import InfluxDB
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import Settings
from tests.collector.conftest import NodeSim, stream, wait_for
from tests.collector.test_resilience import assert_exactly_once
from tests.collector.test_service import scrape

pytestmark = pytest.mark.services

N = 15_000  # about 1.6 MB of line protocol: more than a 1 MB spool holds


def test_full_spool_is_loud_and_the_broker_keeps_the_rest(
        collector_settings: Settings, layout: Layout, tester: NodeSim, influxdb: InfluxDB,
        influx: InfluxV1, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="collector.writer")
    cfg = collector_settings.collector.model_copy(update={"spool_max_mb": 1})
    settings = collector_settings.model_copy(update={"collector": cfg})
    influxdb.stop()
    with Collector(settings, layout).start() as c:
        tester.publish_many(stream(N))
        wait_for(lambda: c.metrics.spool_full > 0, timeout=60, what="spool full")
        assert c.writer.spool.bytes <= 1024 * 1024
        assert any("SPOOL FULL" in r.getMessage() and r.levelno >= logging.WARNING
                   for r in caplog.records)
        text = scrape(settings.collector.metrics_port)
        assert "hubsense_collector_spool_full_total 0\n" not in text
        assert "hubsense_collector_spool_full_total " in text
        assert c.metrics.messages < N  # not acknowledged, so the broker still holds some

        influxdb.start()
        assert_exactly_once(influx, N)
        wait_for(lambda: c.writer.spool.bytes == 0, what="spool replayed")
