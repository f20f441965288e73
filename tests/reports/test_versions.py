"""Layout versions: the one in force per day, rollups per version, and compare by versions."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import main
from hubsense.influx import InfluxV1
from hubsense.layout import Layout, LayoutError, parse_layout
from hubsense.measurements import in_rollup_rp as measurement
from hubsense.settings import InfluxSettings, ReportSettings
from reports.compare import compare
from reports.hours import Period, ReportRangeError
from reports.rollup import Rollup
from reports.source import WHERE, window
from reports.utilization import utilization
from reports.versions import Versions
from tests.conftest import EXAMPLE_LAYOUT
from tests.seeded_reports import MON, TUE, WED, seed

CFG = ReportSettings()
THU = date(2026, 11, 19)
NOW = 1796166000000  # 2026-12-02: every day here has happened
ZONES = measurement("rollup_zone_hour")


def version(layout: Layout, n: int, effective: date | None, **change: Any) -> Layout:
    data = layout.model_dump(mode="json")
    data.update(version=n, effective_from=None if effective is None else str(effective))
    for z in data["zones"]:
        z.update(change.get(z["id"], {}))
    data["zones"] += change.get("add", [])
    return parse_layout(data)


def old_and_new(layout: Layout) -> tuple[Layout, Layout]:
    """v1 from October: buzz-north for 12 and a pod zone; v2 from Wednesday: 24, no pods."""
    pods = {"id": "pods", "name": "Pods", "kind": "quiet_zone", "capacity": 4,
            "shape": [[600, 450], [620, 450], [620, 600], [600, 600]]}  # off the entrance
    old = version(layout, 1, date(2026, 10, 1), add=[pods], **{
        "buzz-north": {"capacity": 12},
        "entrance": {"shape": [[0, 450], [600, 450], [600, 600], [0, 600]]}})
    return old, version(layout, 2, WED)


def test_the_layout_in_force_and_the_periods_of_two_versions(layout: Layout) -> None:
    old, new = old_and_new(layout)
    v = Versions.of(new, [old])
    assert v.in_force(date(2026, 9, 1)) is old  # before the first version: the first
    assert v.in_force(TUE) is old and v.in_force(WED) is new
    assert v.last_day(old) == TUE and v.last_day(new) is None
    assert v.periods(1, 2, 28, today=date(2027, 1, 1)) == (
        Period(date(2026, 10, 21), TUE), Period(WED, date(2026, 12, 15)))
    # Only 10 days of the new version so far: the after period stops today.
    assert v.periods(1, 2, 28, today=date(2026, 11, 27))[1] == Period(WED, date(2026, 11, 27))
    with pytest.raises(ReportRangeError, match="nothing to compare yet"):
        v.periods(1, 2, 28, today=TUE)
    with pytest.raises(ReportRangeError, match=r"no layout version 3 \(known: 1, 2;"):
        v.get(3)
    with pytest.raises(ReportRangeError, match="older and a newer"):
        v.periods(2, 1, 28, today=date(2027, 1, 1))


@pytest.mark.parametrize(("earlier", "message"), [
    ({"effective_from": None}, "effective_from: needed"),
    ({"site": "elsewhere"}, "site.id: 'elsewhere'"),
    ({"effective_from": "2026-12-01"}, "must be the latest"),
    ({"version": 2}, "versions must grow"),
])
def test_bad_versions_are_refused_naming_the_file(layout: Layout, earlier: dict[str, Any],
                                                  message: str) -> None:
    data = version(layout, 1, date(2026, 10, 1)).model_dump(mode="json")
    site = earlier.pop("site", None)
    data.update(earlier)
    if site:
        data["site"]["id"] = site
    with pytest.raises(LayoutError, match=message):
        Versions.of(version(layout, 2, WED), [parse_layout(data)], ["old.yaml"])


@pytest.fixture
def db(influx_settings: InfluxSettings, layout: Layout) -> Iterator[InfluxV1]:
    with InfluxV1(influx_settings) as client:
        seed(layout).write(client)
        yield client


@pytest.mark.services
def test_rollups_follow_the_version_in_force_and_compare_sets_versions_side_by_side(
        db: InfluxV1, layout: Layout) -> None:
    old, new = old_and_new(layout)
    versions = Versions.of(new, [old])
    Rollup(db, versions, CFG).run(MON, WED)
    cal = Rollup(db, versions, CFG).cal
    params = window(layout.site.id, cal.midnight_ms(TUE), cal.midnight_ms(THU))
    per_day = f"{WHERE} GROUP BY time(1d) tz('Europe/Stockholm')"
    [s] = db.query(f"SELECT count(known_s) FROM {ZONES} WHERE zone = 'pods' AND {per_day}",
                   params)
    assert [n for _t, n in s.values] == [24, 0], "pods left the layout on Wednesday"
    [s] = db.query(f"SELECT sum(open_capacity_s) / sum(open_known_s) FROM {ZONES} "
                   f"WHERE zone = 'buzz-north' AND {per_day}", params)
    assert [v for _t, v in s.values] == [12, 24]  # capacity per known open second, per version

    before, after = versions.periods(1, 2, 1, today=WED)
    assert (before, after) == (Period(TUE, TUE), Period(WED, WED))
    r = compare(db, versions, CFG, before, after)
    assert (r.before.versions, r.after.versions, r.before.days, r.after.days) == ([1], [2], 1, 1)
    changes = {c.zone: c for c in r.zones}
    bn = changes["buzz-north"]
    assert bn.before is not None and bn.after is not None
    # Tuesday, 08-18: 4 people for 4 h, 10 for 5 h, 0 for 1 h: 6.6 of 12 (v1's capacity).
    assert (bn.before.capacity, bn.after.capacity) == (12, 24)
    assert bn.before.mean_vs_capacity == pytest.approx(6.6 / 12)
    assert bn.after.mean_vs_capacity == 0  # Wednesday's crowd came after closing
    assert bn.mean_vs_capacity_change == pytest.approx(-6.6 / 12)
    pods = changes["pods"]
    assert pods.after is None and pods.before is not None and pods.before.unknown_share == 1
    assert pods.mean_vs_capacity_change is None
    assert pods.cannot_tell == ("0% of opening hours known before, under 50% "
                                "(report.min_known_share); not in the layout after")


@pytest.mark.services
def test_compare_versions_on_the_command_line(
        db: InfluxV1, layout: Layout, influx_settings: InfluxSettings, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    old, new = old_and_new(layout)
    for name, lay in (("v1.yaml", old), ("v2.yaml", new)):
        (tmp_path / name).write_text(yaml.safe_dump(lay.model_dump(mode="json")))
    conf = tmp_path / "hubsense.toml"
    conf.write_text(f'layout = "{tmp_path / "v2.yaml"}"\n[influx]\nurl = "{influx_settings.url}"\n'
                    f'database = "{influx_settings.database}"\n'
                    f'[report]\nearlier_layouts = ["{tmp_path / "v1.yaml"}"]\n')
    c = str(conf)
    assert main(["rollup", "-c", c, "--from", str(MON), "--to", str(WED)]) == 0
    capsys.readouterr()
    assert main(["report", "compare", "-c", c, "--versions", "1", "2", "--days", "1",
                 "--format", "csv"]) == 0
    rows = {r["zone"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert (rows["buzz-north"]["before_capacity"], rows["buzz-north"]["after_capacity"]) == \
        ("12", "24")
    assert float(rows["buzz-north"]["change"]) == pytest.approx(-0.55)
    assert rows["pods"]["after_capacity"] == ""
    assert main(["report", "compare", "-c", c, "--versions", "1", "2", "--days", "1",
                 "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["before"], body["after"]) == (
        {"first": str(TUE), "last": str(TUE), "versions": [1], "days": 1},
        {"first": str(WED), "last": str(WED), "versions": [2], "days": 1})
    bn = next(z for z in body["zones"] if z["zone"] == "buzz-north")
    assert bn["mean_vs_capacity_change"] == pytest.approx(-0.55), "JSON has the change too"
    assert bn["cannot_tell"] is None
    # The plain --before/--after form counts each period against its own version too.
    assert main(["report", "compare", "-c", c, "--before", f"{TUE}..{TUE}", "--after",
                 f"{WED}..{WED}", "--format", "csv"]) == 0
    rows = {r["zone"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["buzz-north"]["before_capacity"] == "12"
    assert main(["report", "compare", "-c", c, "--versions", "1", "7"]) == 2
    assert "no layout version 7 (known: 1, 2" in capsys.readouterr().err
    assert main(["report", "compare", "-c", c, "--versions", "1", "2", "--layout-change",
                 str(WED)]) == 2
    assert "give only one of" in capsys.readouterr().err


def test_the_example_layout_is_versioned() -> None:
    from hubsense.layout import load_layout

    lay = load_layout(EXAMPLE_LAYOUT)
    assert lay.version >= 1 and isinstance(lay.effective_from, date)


@pytest.mark.services
def test_utilization_counts_each_day_with_its_own_version(db: InfluxV1, layout: Layout) -> None:
    old, new = old_and_new(layout)
    versions = Versions.of(new, [old])
    Rollup(db, versions, CFG).run(MON, WED)
    r = utilization(db, versions, CFG, Period(TUE, WED), now_ms=NOW)
    assert [(v.version, v.first, v.last) for v in r.versions] == [(1, TUE, TUE), (2, WED, WED)]
    bn = next(u for u in r.zones if u.id == "buzz-north")
    # Tuesday (v1, 12 places): 4 people 08-12, 10 people 12-17, 0 to 18 = 66 person-hours;
    # Wednesday (v2, 24 places): 0 in opening hours. Each day against its own capacity.
    assert bn.mean_occupancy == pytest.approx(66 / 20)
    assert bn.mean_vs_capacity == pytest.approx(66 / (12 * 10 + 24 * 10))
    assert bn.capacity == 24 and bn.flag is None
    # A zone the new version removed keeps its own past: Tuesday's opening hours only.
    pods = next(u for u in r.zones if u.id == "pods")
    assert (pods.open_h, pods.unknown_h, pods.flag) == (10, 10, "insufficient_data")
    # The same day gives the same figures in utilization and in compare.
    tue = utilization(db, versions, CFG, Period(TUE, TUE), now_ms=NOW)
    side = compare(db, versions, CFG, Period(TUE, TUE), Period(WED, WED), now_ms=NOW)
    assert next(u for u in tue.zones if u.id == "buzz-north") == next(
        c.before for c in side.zones if c.zone == "buzz-north")
    assert side.zones[0].before is not None


@pytest.mark.services
def test_whole_months_read_from_the_monthly_rollups_give_the_same_figures(
        db: InfluxV1, layout: Layout) -> None:
    old, new = old_and_new(layout)
    versions = Versions.of(new, [old])
    Rollup(db, versions, CFG).run(date(2026, 10, 30), WED)
    month = Period(date(2026, 10, 28), date(2026, 11, 30))  # all of November, a bit of October
    fast = utilization(db, versions, CFG, month, now_ms=NOW)
    slow = utilization(db, versions, CFG, month, now_ms=NOW, use_months=False)
    assert fast == slow
    bn = next(u for u in fast.zones if u.id == "buzz-north")
    assert bn.peak == 10 and bn.open_h == 24 * 10  # 24 weekdays, each open 10 h
