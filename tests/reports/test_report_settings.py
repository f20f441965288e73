"""The [report] settings section: opening hours, holidays, thresholds, refusals by key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hubsense.settings import SettingsError, load_settings


def test_report_section_from_toml(tmp_path: Path) -> None:
    conf = tmp_path / "hubsense.toml"
    conf.write_text('[report]\ntimezone = "Europe/Stockholm"\nholidays = ["2026-12-24"]\n'
                    'underused_below = 0.2\n[report.opening_hours]\nmon = "08:30-17:00"\n'
                    'sat = "10:00-14:00"\n')
    r = load_settings(conf).report
    assert r.opening_hours == {"mon": "08:30-17:00", "sat": "10:00-14:00"}
    assert r.holidays == [date(2026, 12, 24)]
    assert r.underused_below == 0.2


@pytest.mark.parametrize(("body", "where"), [
    ('[report.opening_hours]\nmonday = "08:00-17:00"\n', "report.opening_hours"),
    ('[report.opening_hours]\nmon = "17:00-08:00"\n', "report.opening_hours"),
    ('[report]\ntimezone = "Europe/Stokholm"\n', "report.timezone"),
    ('[report]\nunderused_belo = 0.1\n', "report.underused_belo"),
])
def test_bad_report_settings_name_the_key(tmp_path: Path, body: str, where: str) -> None:
    conf = tmp_path / "hubsense.toml"
    conf.write_text(body)
    with pytest.raises(SettingsError, match=where):
        load_settings(conf)
