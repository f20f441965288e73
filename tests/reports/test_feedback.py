"""Visitor feedback in a real InfluxDB: a running total per zone, kind and hour that survives
a restart, starts again each hour, and reads back per local hour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hubsense.influx import InfluxV1
from hubsense.layout import Layout, Zone
from hubsense.settings import InfluxSettings, ReportSettings
from reports.feedback import FeedbackCounts, FeedbackHour, FeedbackKind, feedback_report
from reports.hours import HOUR_MS, Period, to_ms

pytestmark = pytest.mark.services

TZ = ZoneInfo("Europe/Stockholm")
T0 = to_ms(datetime(2026, 11, 18, 14, 5, tzinfo=TZ))  # 14:05 local, 13:05 UTC
LOUD, NO_SEAT = FeedbackKind.TOO_LOUD, FeedbackKind.NO_SEAT


@pytest.fixture
def db(influx_settings: InfluxSettings) -> Iterator[InfluxV1]:
    with InfluxV1(influx_settings) as client:
        client.create_database()
        yield client


def zone(layout: Layout, zone_id: str) -> Zone:
    z = layout.zone(zone_id)
    assert z is not None
    return z


def test_counts_run_per_hour_and_survive_a_restart(db: InfluxV1, layout: Layout) -> None:
    counts = FeedbackCounts(db, layout.site.id)
    quiet, lounge = zone(layout, "quiet"), zone(layout, "lounge")
    assert [counts.add(quiet, LOUD, T0 + i * 60_000) for i in range(3)] == [1, 2, 3]
    assert counts.add(quiet, NO_SEAT, T0) == 1
    assert counts.add(lounge, LOUD, T0) == 1

    restarted = FeedbackCounts(db, layout.site.id)  # reads the hour's total back
    assert restarted.add(quiet, LOUD, T0 + 50 * 60_000) == 4
    assert restarted.add(quiet, LOUD, T0 + HOUR_MS) == 1, "a new hour starts at one"

    report = feedback_report(db, layout, ReportSettings(), Period(date(2026, 11, 18),
                                                                  date(2026, 11, 18)))
    h14, h15 = (datetime(2026, 11, 18, h, tzinfo=TZ) for h in (14, 15))
    assert report.hours == [FeedbackHour(h14, "lounge", 1, 0), FeedbackHour(h14, "quiet", 4, 1),
                            FeedbackHour(h15, "quiet", 1, 0)]
    assert report.hours[0].hour.isoformat() == "2026-11-18T14:00:00+01:00"


def test_a_database_without_feedback_reports_none(influx_settings: InfluxSettings,
                                                  layout: Layout) -> None:
    with InfluxV1(influx_settings) as never_created:
        report = feedback_report(never_created, layout, ReportSettings(),
                                 Period(date(2026, 11, 18), date(2026, 11, 19)))
    assert report.hours == []
