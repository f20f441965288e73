"""Dashboards: committed JSON matches the code, Grafana's model shape, the site's time
zone, and every query (Grafana's macros and variables substituted) run against a real
InfluxDB that the collector's own code filled (tests/morning.py) — where charts must end
where the API is at the same moment and the rollup panels say what the reports say. That
the "now" panels show what the API shows is tested beside every other surface, in
tests/surfaces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards.build import OUT, dashboards, main, render
from dashboards.site import Site
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import ReportSettings
from hubsense.state import ZoneStatus
from reports.hours import Period
from reports.utilization import utilization
from tests.dashboards.grafana import SIX_HOURS, View, committed, opened, panel, rows
from tests.hub import Hub
from tests.morning import MOMENTS, MONDAY, SUNDAY, at

ROOT = Path(__file__).resolve().parents[2]
PROVISIONING = ROOT / "dashboards" / "provisioning"
UIDS = {"live.json": "hubsense-live", "utilization.json": "hubsense-utilization",
        "visits.json": "hubsense-visits", "health.json": "hubsense-health"}
WEEK = Period(MONDAY, SUNDAY)
WEEK_MS = (at(0) - 86_400_000, at(0) + 6 * 86_400_000)  # local Monday 00:00 to Monday 00:00
AFTER = WEEK_MS[1] + 86_400_000  # "now" for the reports: the whole week has happened


def datasource_uid() -> str:
    ds = yaml.safe_load((PROVISIONING / "datasources" / "hubsense.yaml").read_text())
    [only] = ds["datasources"]
    assert only["type"] == "influxdb" and only["jsonData"]["httpMode"] == "GET"
    return str(only["uid"])


def test_committed_json_is_what_the_code_generates() -> None:
    generated = dashboards()
    assert sorted(generated) == sorted(committed())
    for name, model in generated.items():
        assert (OUT / name).read_text() == render(model), \
            f"{name} is stale: run python -m dashboards.build"


def test_uids_are_stable() -> None:
    assert {name: d["uid"] for name, d in committed().items()} == UIDS


def test_provisioning_points_at_the_mounted_dashboards() -> None:
    prov = yaml.safe_load((PROVISIONING / "dashboards" / "hubsense.yaml").read_text())
    [provider] = prov["providers"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./dashboards/json:{provider['options']['path']}:ro" in mounts


def panel_targets() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, model in committed().items():
        for p in model["panels"]:
            for t in p["targets"]:
                yield name, p, t


@pytest.mark.parametrize("name", sorted(committed()))
def test_dashboard_model_shape(name: str) -> None:
    d = committed()[name]
    uid = datasource_uid()
    assert re.fullmatch(r"[a-z0-9-]{1,40}", d["uid"]) and d["title"]
    assert isinstance(d["schemaVersion"], int)
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)) and d["panels"]
    names = {v["name"] for v in d["templating"]["list"]}
    for p in d["panels"]:
        assert p["type"] and p["title"]
        assert set(p["gridPos"]) == {"x", "y", "w", "h"}
        assert p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
        assert p["datasource"] == {"type": "influxdb", "uid": uid}
        assert "repeat" not in p or p["repeat"] in names
        assert p["targets"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs))
        for t in p["targets"]:
            assert t["rawQuery"] is True and t["datasource"]["uid"] == uid
            assert t["query"].lstrip().upper().startswith("SELECT")
    for v in d["templating"]["list"]:
        assert v["datasource"]["uid"] == uid
        assert re.match(r"(SHOW TAG VALUES|SELECT) ", v["query"])
    for a in d["annotations"]["list"]:
        assert a["datasource"]["uid"] == uid and a["target"]["rawQuery"] is True


def test_no_query_reads_the_last_count_of_an_unknown_zone() -> None:
    """last("occupied") skips the points an unknown zone writes: the flat-12 bug."""
    for name, _p, t in panel_targets():
        assert 'last("occupied")' not in t["query"], name


def test_utilization_answers_which_zones_are_overused() -> None:
    cfg = ReportSettings()
    for title in ("Mean people / capacity in opening hours (flags)",
                  "Mean people / capacity, per week (trend)"):
        p = panel("utilization.json", title)
        steps = p["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert [s["value"] for s in steps] == [None, cfg.underused_below, cfg.overused_above]
        assert 'sum("open_capacity_s")' in p["targets"][0]["query"]


def test_heat_map_is_weekdays_by_hours() -> None:
    p = panel("utilization.json", "$zone: mean people by weekday and hour")
    assert p["repeat"] == "zone" and len(p["targets"]) == 7
    [day] = p["fieldConfig"]["overrides"]
    labels = day["properties"][0]["value"][0]["options"]
    assert [labels[str(i)]["text"] for i in range(7)] == \
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    order = p["transformations"][1]["options"]["indexByName"]
    assert sorted(order, key=order.__getitem__) == ["day", *(f"{h:02d}" for h in range(24))]


def other_site(tmp_path: Path, timezone: str, report_tz: str | None = None) -> Path:
    """A copy of the example hub in another time zone, with a config naming it."""
    data = yaml.safe_load((ROOT / "config" / "layout.yaml").read_text())
    data["site"]["timezone"] = timezone
    (tmp_path / "layout.yaml").write_text(yaml.safe_dump(data))
    config = tmp_path / "hubsense.toml"
    config.write_text(f'layout = "{tmp_path / "layout.yaml"}"\n'
                      + (f'[report]\ntimezone = "{report_tz}"\n' if report_tz else ""))
    return config


def test_a_site_builds_dashboards_in_its_own_time_zone(tmp_path: Path) -> None:
    config = other_site(tmp_path, "America/Chicago")
    assert main(["-c", str(config), "--out", str(tmp_path / "json")]) == 0
    built = {p.name: json.loads(p.read_text()) for p in (tmp_path / "json").glob("*.json")}
    assert sorted(built) == sorted(UIDS)
    text = json.dumps(built)
    assert "Europe/Stockholm" not in text
    assert all(d["timezone"] == "America/Chicago" for d in built.values())
    assert text.count("tz('America/Chicago')") == 3  # local days and weeks
    # report.timezone wins, as in the reports
    config = other_site(tmp_path, "America/Chicago", "Asia/Tokyo")
    assert {d["timezone"] for d in dashboards(Site.of_file(config)).values()} == {"Asia/Tokyo"}


def test_a_bad_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.toml").write_text('layout = "nowhere.yaml"\n')
    assert main(["-c", str(tmp_path / "bad.toml"), "--out", str(tmp_path)]) == 2
    assert "nowhere.yaml" in capsys.readouterr().err


def test_staleness_bounds_come_from_the_settings(tmp_path: Path) -> None:
    config = other_site(tmp_path, "Europe/Stockholm")
    config.write_text(config.read_text() + "[state]\nstale_factor = 4\n"
                      "[collector]\nheartbeat_s = 10\n")
    live = dashboards(Site.of_file(config))["live.json"]
    [var] = [v for v in live["templating"]["list"] if v["name"] == "live_site"]
    assert "${__to}ms - 40s" in var["query"]


# -- against a real InfluxDB filled by the collector's own code --

def by_zone(series: list[Any], field: str) -> dict[str, Any]:
    return {r["zone"]: r[field] for r in rows(series)}


@pytest.mark.services
@pytest.mark.parametrize(("name", "title", "ref"),
                         [(n, p["title"], t["refId"]) for n, p, t in panel_targets()])
def test_every_query_returns_rows(lived: tuple[InfluxV1, Hub], layout: Layout, name: str,
                                  title: str, ref: str) -> None:
    """In some moment of the morning (or, for rollups, over the day) every query has rows."""
    db, hub = lived
    p = panel(name, title)
    [t] = [t for t in p["targets"] if t["refId"] == ref]
    ranges = [(m.at_ms - SIX_HOURS, m.at_ms) for m in hub.moments.values()]
    ranges.append(WEEK_MS)
    for a, b in ranges:
        v = View(layout, a, b, values={"zone": "buzz-north"} if p.get("repeat") else {})
        v.resolve(db, committed()[name]["templating"]["list"])
        if any(any(x is not None for x in r[1:]) for s in v.run(db, p, t) for r in s.values):
            return
    pytest.fail(f"{name} / {title} / {ref}: no rows at any moment")


@pytest.mark.services
@pytest.mark.parametrize("moment", [m for m in MOMENTS if m != "collector down"])
def test_charts_end_where_the_api_is(lived: tuple[InfluxV1, Hub], layout: Layout,
                                     moment: str) -> None:
    """The last interval of each chart holds the state the API shows (unknown: null)."""
    db, hub = lived
    m = hub.moments[moment]
    v = opened(db, layout, "live.json", m)
    people = panel("live.json", "People per zone")
    status = panel("live.json", "Zone status")
    last_people = {r["zone"]: r["people"] for r in rows(v.run(db, people, people["targets"][0]))}
    last_status = {r["zone"]: r["status"] for r in rows(v.run(db, status, status["targets"][0]))}
    for z in layout.zones:
        assert last_people.get(z.id) == m.zones[z.id].occupied, z.id
        assert last_status[z.id] == m.zones[z.id].status.value, z.id


@pytest.mark.services
def test_the_flat_12_is_gone(lived: tuple[InfluxV1, Hub], layout: Layout) -> None:
    """Buzz zone South held 12 people when its node died: 3.5 min later the API says
    unknown. The old queries still said 12 and drew it flat; the panels do not."""
    db, hub = lived
    m = hub.moments["one node silent"]
    assert m.zones["buzz-south"].status is ZoneStatus.UNKNOWN
    v = opened(db, layout, "live.json", m)
    old_now = ('SELECT last("occupied") AS "people" FROM "zone_state" '
               'WHERE "site" =~ /^$site$/ AND $timeFilter GROUP BY "zone"')
    old_chart = ('SELECT last("occupied") AS "people" FROM "zone_state" WHERE "site" =~ '
                 '/^$site$/ AND $timeFilter GROUP BY time($__interval), "zone" fill(previous)')
    assert by_zone(db.query(v.substitute(old_now)), "people")["buzz-south"] == 12
    flat = [r["people"] for r in rows(db.query(v.substitute(old_chart)))
            if r["zone"] == "buzz-south" and r["time"] > at(9, 2)]
    assert flat and set(flat) == {12}

    bars = panel("live.json", "People now, per zone")
    assert by_zone(v.run(db, bars, bars["targets"][0]), "people")["buzz-south"] is None
    chart = panel("live.json", "People per zone")
    drawn = [(r["time"], r["people"]) for r in rows(v.run(db, chart, chart["targets"][0]))
             if r["zone"] == "buzz-south" and r["time"] >= at(8, 5)]
    # 12 while its node reported, then a gap from the interval it went stale in
    assert {p for t, p in drawn if t < at(9)} == {12}
    assert {p for t, p in drawn if t >= at(9, 2)} == {None}


@pytest.mark.services
def test_collector_down_shows_in_every_live_panel(lived: tuple[InfluxV1, Hub],
                                                  layout: Layout) -> None:
    db, hub = lived
    m = hub.moments["collector down"]
    v = opened(db, layout, "live.json", m)
    assert v.values["live_site"] == ""
    for title in ("Collector", "People now, per zone", "Zones now", "Desks now"):
        p = panel("live.json", title)
        assert not any(rows(v.run(db, p, t)) for t in p["targets"]), title
    beat = panel("live.json", "Collector's last heartbeat")
    [[last]] = [[r["time"] for r in rows(v.run(db, beat, beat["targets"][0]))]]
    assert at(9, 29) <= last <= at(9, 30)
    # the status timeline's collector row: 0 beats in the intervals it was down
    timeline = panel("live.json", "Zone status")
    collector = rows(v.run(db, timeline, timeline["targets"][1]))
    down = [r["collector"] for r in collector if at(9, 31) <= r["time"] < at(9, 34)]
    assert down and set(down) == {0}
    assert all(r["collector"] > 0 for r in collector if at(8) <= r["time"] < at(9, 29))


@pytest.mark.services
def test_heat_map_agrees_with_the_report(lived: tuple[InfluxV1, Hub], layout: Layout) -> None:
    db, _hub = lived
    p = panel("utilization.json", "$zone: mean people by weekday and hour")
    report = utilization(db, layout, ReportSettings(), WEEK, now_ms=AFTER)
    for zone in ("buzz-south", "quiet"):
        v = View(layout, *WEEK_MS, values={"zone": zone})
        table = {r["day"]: r for t in p["targets"] for r in rows(v.run(db, p, t))}
        assert sorted(table) == list(range(7))
        for how, expected in enumerate(report.profile[zone]):
            got = table[how // 24][f"{how % 24:02d}"]
            assert got == (pytest.approx(expected) if expected is not None else None), how
        assert all(table[0][f"{h:02d}"] is None for h in range(24))  # Monday: nothing known
        assert table[1]["08"] is not None and table[1]["03"] is None  # Tuesday from 08:00


@pytest.mark.services
def test_flags_agree_with_the_report(lived: tuple[InfluxV1, Hub], layout: Layout) -> None:
    db, _hub = lived
    p = panel("utilization.json", "Mean people / capacity in opening hours (flags)")
    report = utilization(db, layout, ReportSettings(), WEEK, now_ms=AFTER)
    v = View(layout, *WEEK_MS)
    shown = {s.tags["zone"]: s.values[0][1] for s in v.run(db, p, p["targets"][0])}
    assert shown
    for z in report.zones:
        if z.mean_vs_capacity is None:
            assert z.id not in shown
        else:
            assert shown[z.id] == pytest.approx(z.mean_vs_capacity), z.id


@pytest.mark.services
def test_events_are_times_and_regions(lived: tuple[InfluxV1, Hub], layout: Layout) -> None:
    db, _hub = lived
    visits = committed()["visits.json"]
    v = View(layout, at(9, 15), at(12))  # the demo began before the range and runs into it
    [annotation] = visits["annotations"]["list"]
    target = annotation["target"]
    assert (target["textColumn"], target["timeEndColumn"]) == ("name", "end_ms")
    shown = rows(db.query(v.substitute(target["query"])))
    assert [(r["name"], r["time"], r["end_ms"]) for r in shown] == \
        [("Demo day", at(8, 30), at(9, 30))]  # the deleted one is not
    table = panel("visits.json", "Events")
    [ev] = rows(v.run(db, table, table["targets"][0]))
    assert (ev["name"], ev["end"]) == ("Demo day", at(9, 30))
    units = {o["matcher"]["options"]: o["properties"][0]["value"]
             for o in table["fieldConfig"]["overrides"]}
    assert units["end"] == "dateTimeAsIso"
    assert table["transformations"][0]["options"]["renameByName"] == {"Time": "start"}
