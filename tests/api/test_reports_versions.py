"""Compare two layout versions over the staff API, as `hubsense report compare --versions`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import SecretStr

from api.main import create_app
from hubsense.influx import InfluxV1
from hubsense.layout import Layout, LayoutError
from hubsense.settings import InfluxSettings, Settings, StaffToken
from reports.rollup import Rollup
from reports.versions import Versions
from tests.api.conftest import ApiServer, start_api
from tests.reports.test_versions import CFG, old_and_new
from tests.seeded_reports import MON, TUE, WED, seed

pytestmark = pytest.mark.services
TOKEN = "staff-token-reports-read-7fK2q9Zx4mT"


@pytest.fixture
def versioned_api(api_settings: Settings, layout: Layout, influx_settings: InfluxSettings,
                  tmp_path: Path) -> Iterator[ApiServer]:
    old, new = old_and_new(layout)
    (tmp_path / "v1.yaml").write_text(yaml.safe_dump(old.model_dump(mode="json")))
    with InfluxV1(influx_settings) as db:
        seed(layout).write(db)
        Rollup(db, Versions.of(new, [old]), CFG).run(MON, WED)
    settings = api_settings.model_copy(update={
        "influx": influx_settings,
        "report": CFG.model_copy(update={"earlier_layouts": [tmp_path / "v1.yaml"]}),
        "api": api_settings.api.model_copy(update={"tokens": [StaffToken(
            name="facility", token=SecretStr(TOKEN), scopes=["reports:read"])]})})
    server = start_api(settings, new)
    yield server
    server.stop()


def compare(api: ApiServer, **params: str) -> httpx.Response:
    return httpx.get(f"{api.url}/api/v1/reports/compare", params=params, timeout=30,
                     headers={"Authorization": f"Bearer {TOKEN}"})


def test_two_layout_versions_side_by_side(versioned_api: ApiServer) -> None:
    r = compare(versioned_api, before_version="1", after_version="2", days="1")
    assert r.status_code == 200, r.text
    bn = next(c for c in r.json()["zones"] if c["zone"] == "buzz-north")
    assert (bn["before"]["capacity"], bn["after"]["capacity"]) == (12, 24)
    assert bn["before"]["mean_vs_capacity"] == pytest.approx(6.6 / 12)
    pods = next(c for c in r.json()["zones"] if c["zone"] == "pods")
    assert pods["after"] is None
    r = compare(versioned_api, before_from=str(TUE), before_to=str(TUE), after_from=str(WED),
                after_to=str(WED), format="csv")
    rows = {x["zone"]: x for x in csv.DictReader(io.StringIO(r.text))}
    assert (rows["buzz-north"]["before_capacity"], rows["buzz-north"]["after_capacity"]) == \
        ("12", "24")


@pytest.mark.parametrize(("params", "message"), [
    ({"before_version": "1", "after_version": "9"}, "no layout version 9 (known: 1, 2;"),
    ({"before_version": "1"}, "give both before_version and after_version"),
    ({"before_version": "1", "after_version": "2", "layout_change": str(WED)},
     "give only one of"),
    ({"before_from": str(TUE)}, "give all of before_from"),
    ({}, "a layout change day, or two layout versions"),
])
def test_bad_compare_requests_say_why(versioned_api: ApiServer, params: dict[str, str],
                                      message: str) -> None:
    r = compare(versioned_api, **params)
    assert r.status_code == 400, r.text
    assert message in r.json()["detail"]


def test_a_bad_earlier_layout_stops_the_api_at_start(api_settings: Settings, layout: Layout,
                                                     tmp_path: Path) -> None:
    (tmp_path / "v1.yaml").write_text("site: {id: hbg-works}\nzones: nope\n")
    settings = api_settings.model_copy(update={
        "report": CFG.model_copy(update={"earlier_layouts": [tmp_path / "v1.yaml"]})})
    with pytest.raises(LayoutError, match=r"v1\.yaml"):
        create_app(settings, layout)
