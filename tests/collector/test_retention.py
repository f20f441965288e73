"""Raw observations are kept as long as the setting says, by InfluxDB itself; rollups
stay (real InfluxDB, real collector)."""

from __future__ import annotations

import time

import pytest

from collector.service import Collector
from hubsense.influx import InfluxError, InfluxV1
from hubsense.layout import Layout
from hubsense.retention import apply_raw_retention, raw_retention
from hubsense.settings import InfluxSettings, Settings
from tests.collector.conftest import SITE

pytestmark = pytest.mark.services

DAY_MS = 86_400_000


def test_influxdb_refuses_raw_points_older_than_the_retention(
        influx_settings: InfluxSettings) -> None:
    with InfluxV1(influx_settings) as db:
        assert apply_raw_retention(db, 30)
        assert raw_retention(db) == "720h0m0s"
        now = int(time.time() * 1000)
        with pytest.raises(InfluxError) as err:
            db.write_lines(f"presence,site={SITE} present=true {now - 40 * DAY_MS}\n"
                           f"presence,site={SITE} present=false {now - 1000}")
        assert err.value.partial and err.value.refused == 1  # "beyond retention policy"
        assert len(db.query("SELECT present FROM presence")[0].values) == 1
        assert apply_raw_retention(db, None) and raw_retention(db) == "0s"


def test_the_collector_sets_the_raw_retention_from_its_settings(
        collector_settings: Settings, layout: Layout) -> None:
    influx = collector_settings.influx.model_copy(update={"raw_retention_days": 400})
    settings = collector_settings.model_copy(update={"influx": influx})
    with Collector(settings, layout).start() as c:
        assert raw_retention(c.influx) == f"{400 * 24}h0m0s"
