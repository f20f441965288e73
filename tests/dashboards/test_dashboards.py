"""Dashboards: committed JSON matches the code, Grafana's model shape, and every
query (Grafana's macros and variables substituted) returns rows from a real
InfluxDB seeded in the collector's schema and rolled up."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from dashboards.build import OUT, dashboards, render
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, ReportSettings
from reports.events import Event, save_event
from reports.hours import to_ms
from reports.rollup import Rollup
from tests.reports.seed import Seeder

ROOT = Path(__file__).resolve().parents[2]
PROVISIONING = ROOT / "dashboards" / "provisioning"
STHLM = ZoneInfo("Europe/Stockholm")
DAY = date(2026, 11, 17)  # a Tuesday


def at(hh: int, mm: int = 0) -> int:
    return to_ms(datetime(DAY.year, DAY.month, DAY.day, hh, mm, tzinfo=STHLM))


def datasource_uid() -> str:
    ds = yaml.safe_load((PROVISIONING / "datasources" / "hubsense.yaml").read_text())
    [only] = ds["datasources"]
    assert only["type"] == "influxdb" and only["jsonData"]["httpMode"] == "GET"
    return str(only["uid"])


def committed() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(OUT.glob("*.json"))}


def test_committed_json_is_what_the_code_generates() -> None:
    generated = dashboards()
    assert sorted(generated) == sorted(committed())
    for name, model in generated.items():
        assert (OUT / name).read_text() == render(model), \
            f"{name} is stale: run python -m dashboards.build"


def test_provisioning_points_at_the_mounted_dashboards() -> None:
    prov = yaml.safe_load((PROVISIONING / "dashboards" / "hubsense.yaml").read_text())
    [provider] = prov["providers"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./dashboards/json:{provider['options']['path']}:ro" in mounts


def panel_targets() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, model in committed().items():
        for p in model["panels"]:
            for t in p["targets"]:
                yield name, p["title"], t


@pytest.mark.parametrize("name", sorted(committed()))
def test_dashboard_model_shape(name: str) -> None:
    d = committed()[name]
    uid = datasource_uid()
    assert re.fullmatch(r"[a-z0-9-]{1,40}", d["uid"]) and d["title"]
    assert isinstance(d["schemaVersion"], int)
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)) and d["panels"]
    for p in d["panels"]:
        assert p["type"] and p["title"]
        assert set(p["gridPos"]) == {"x", "y", "w", "h"}
        assert p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
        assert p["datasource"] == {"type": "influxdb", "uid": uid}
        assert p["targets"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs))
        for t in p["targets"]:
            assert t["rawQuery"] is True and t["datasource"]["uid"] == uid
            assert t["query"].lstrip().upper().startswith("SELECT")
    for v in d["templating"]["list"]:
        assert v["datasource"]["uid"] == uid and v["query"].upper().startswith("SHOW TAG VALUES")
    uids = [m["uid"] for m in committed().values()]
    assert len(uids) == len(set(uids))


def test_utilization_answers_which_zones_are_overused() -> None:
    panels = {p["title"]: p for p in committed()["utilization.json"]["panels"]}
    cfg = ReportSettings()
    for title in ("Mean people / capacity in opening hours (flags)",
                  "Mean people / capacity, per week (trend)"):
        steps = panels[title]["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert [s["value"] for s in steps] == [None, cfg.underused_below, cfg.overused_above]
        assert 'sum("open_capacity_s")' in panels[title]["targets"][0]["query"]
    heat = panels["Hour of week x zone: mean people"]["transformations"]
    # The hour-of-week tag is a string: rows sort as numbers only after a conversion.
    assert [t["id"] for t in heat] == ["groupingToMatrix", "convertFieldType", "sortBy"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, layout: Layout) -> Iterator[InfluxV1]:
    from devstack.influxdb import InfluxDB
    from devstack.processes import free_port

    server = InfluxDB(tmp_path_factory.mktemp("influxdb"), free_port(), free_port()).start()
    db = InfluxV1(InfluxSettings(url=server.url, database="dash"))
    s = Seeder(layout)
    for z in layout.zones:
        if z.kind != "entrance":
            s.zone(at(8), z.id, 2, laeq=50.0)
            s.zone(at(12), z.id, 5, laeq=62.5)
    for d in layout.desks:
        s.desk(at(8), d.id, "free")
        s.desk(at(9), d.id, "occupied")
    for n in layout.nodes:
        s.status(at(7, 55), n.id, True)
        for hh in (8, 12):
            s.heartbeat(at(hh), n.id, rssi=-55 - hh, drops=hh // 12)
    s.observe(at(9), "buzz-n", 2, laeq=58.0, lamax=70.0)
    s.observe(at(9), "buzz-n", 1, count=5)
    for hh, n in ((8, 0), (10, 40), (14, 70)):
        s.passage(at(hh), "door-1", "aa01", n)
    s.write(db)
    save_event(db, layout, Event("demo", "Demo day", at(13), at(15), ("buzz-north",)))
    Rollup(db, layout, ReportSettings()).run(DAY, DAY)
    yield db
    db.close()
    server.stop()


def substitute(q: str, layout: Layout) -> str:
    """Do what Grafana does before it sends a query: macros, then variables."""
    nodes = "|".join(n.id for n in layout.nodes)
    zones = "|".join(z.id for z in layout.zones)
    q = q.replace("$timeFilter", f"time >= {at(0)}ms AND time < {at(23)}ms")
    q = q.replace("$__interval", "1h")
    q = q.replace("/^$site$/", f"/^{layout.site.id}$/")
    q = q.replace("/^$zone$/", f"/^({zones})$/").replace("/^$node$/", f"/^({nodes})$/")
    assert "$" not in q.replace("$/", ""), f"unsubstituted variable in {q}"
    return q


@pytest.mark.services
@pytest.mark.parametrize(("name", "title", "tgt"), list(panel_targets()),
                         ids=[f"{n}:{t}:{g['refId']}" for n, t, g in panel_targets()])
def test_panel_query_returns_rows(seeded: InfluxV1, layout: Layout, name: str, title: str,
                                  tgt: dict[str, Any]) -> None:
    series = seeded.query(substitute(tgt["query"], layout))
    values = [v for s in series for v in s.values if any(x is not None for x in v[1:])]
    assert values, f"{name} / {title}: no rows"


@pytest.mark.services
def test_variables_and_annotations_return_rows(seeded: InfluxV1, layout: Layout) -> None:
    for model in committed().values():
        for v in model["templating"]["list"]:
            [s] = seeded.query(substitute(v["query"], layout))
            assert s.values, v["name"]
        for a in model["annotations"]["list"]:
            rows = [r for s in seeded.query(substitute(a["query"], layout)) for r in s.rows()]
            assert rows and rows[0]["name"] == "Demo day"
