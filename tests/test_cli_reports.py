"""`hubsense report|event|rollup` against a real InfluxDB holding the collector's schema."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pydantic_core import to_jsonable_python

from cli.main import main
from cli.reports import service
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings
from tests.conftest import EXAMPLE_LAYOUT, ROOT
from tests.seeded_reports import MON, TUE, WED, seed

pytestmark = pytest.mark.services
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def config(influx_settings: InfluxSettings, layout: Layout, tmp_path: Path) -> Iterator[Path]:
    with InfluxV1(influx_settings) as db:
        seed(layout).write(db)
    conf = tmp_path / "hubsense.toml"
    conf.write_text(f'layout = "{EXAMPLE_LAYOUT}"\n[influx]\nurl = "{influx_settings.url}"\n'
                    f'database = "{influx_settings.database}"\n')
    yield conf


def hs(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    got = capsys.readouterr()
    return code, got.out, got.err


def test_rollup_then_visits_as_csv_json_and_a_chart(
        config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = str(config)
    code, out, err = hs(capsys, "rollup", "-c", c, "--from", str(MON), "--to", str(WED))
    assert code == 0, err
    assert "rollup: 2026-11-18 (3/3 days)" in err, "progress on stderr"
    assert int(out.split()[0]) > 0

    code, out, _ = hs(capsys, "report", "visits", "-c", c, "--from", str(TUE), "--to",
                      str(WED), "--format", "csv", "--chart", str(tmp_path / "v.svg"))
    assert code == 0
    assert list(csv.reader(io.StringIO(out))) == [["day", "visits"], ["2026-11-17", "80"],
                                                  ["2026-11-18", "12"]]
    svg = ET.parse(tmp_path / "v.svg").getroot()
    assert svg.tag == f"{SVG}svg"
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert [b.findtext(f"{SVG}title") for b in bars] == ["2026-11-17: 80", "2026-11-18: 12"]
    assert float(bars[0].get("height", 0)) > float(bars[1].get("height", 0)) > 0

    code, out, _ = hs(capsys, "report", "visits", "-c", c, "--month", "2026-11", "--by",
                      "month", "--format", "json")
    body = json.loads(out)
    assert (body["total"], body["rows"], body["by"]) == (92, [["2026-11-01", 92]], "month")

    code, out, _ = hs(capsys, "report", "visits", "-c", c, "--from", str(TUE), "--to",
                      str(TUE))
    assert ["2026-11-17", "80"] in [line.split() for line in out.splitlines()]
    assert "total 80" in out


def test_utilization_compare_and_the_event_lifecycle(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = str(config)
    assert hs(capsys, "rollup", "-c", c, "--from", str(MON), "--to", str(WED))[0] == 0
    code, out, _ = hs(capsys, "report", "utilization", "-c", c, "--from", str(TUE), "--to",
                      str(TUE), "--format", "csv")
    rows = {(r["kind"], r["id"]): r for r in csv.DictReader(io.StringIO(out))}
    assert rows["desk", "q-01"]["occupied_h"] == "2.5"
    assert rows["zone", "buzz-north"]["peak"] == "10"

    code, out, _ = hs(capsys, "report", "compare", "-c", c, "--before", f"{TUE}..{TUE}",
                      "--after", f"{WED}..{WED}", "--format", "csv")
    bn = next(r for r in csv.DictReader(io.StringIO(out)) if r["zone"] == "buzz-north")
    assert float(bn["change"]) < 0
    code, out, _ = hs(capsys, "report", "compare", "-c", c, "--layout-change", str(WED),
                      "--days", "1", "--format", "json")
    body = json.loads(out)
    assert (body["before"]["first"], body["before"]["last"]) == (str(TUE), str(TUE))

    code, out, err = hs(capsys, "event", "add", "Demo night", "-c", c, "--start",
                        "2026-11-18T18:00", "--end", "2026-11-18T21:00", "--zone", "buzz-north")
    assert code == 0, err
    assert "demo-night-20261118" in out
    code, out, _ = hs(capsys, "event", "list", "-c", c, "--format", "csv")
    assert out.splitlines()[1] == ("demo-night-20261118,Demo night,2026-11-18T18:00:00+01:00,"
                                   "2026-11-18T21:00:00+01:00,buzz-north"), "local time"
    code, out, _ = hs(capsys, "report", "events", "-c", c, "--month", "2026-11", "--format",
                      "csv")
    [ev] = list(csv.DictReader(io.StringIO(out)))
    assert (ev["event"], ev["visits"], ev["zone"], ev["peak"]) == \
        ("demo-night-20261118", "12", "buzz-north", "30")
    code, out, _ = hs(capsys, "report", "visits", "-c", c, "--from", str(TUE), "--to", str(WED),
                      "--exclude-events", "--format", "json")
    body = json.loads(out)
    assert (body["excluded_days"], body["baseline_per_day"]) == ([str(WED)], 80)

    assert hs(capsys, "event", "delete", "-c", c, "demo-night-20261118")[0] == 0
    assert hs(capsys, "event", "list", "-c", c, "--format", "csv")[1].count("\n") == 1
    code, _, err = hs(capsys, "event", "delete", "-c", c, "demo-night-20261118")
    assert (code, err) == (2, "hubsense: no event 'demo-night-20261118'\n")


@pytest.mark.parametrize(("argv", "message"), [
    (["report", "utilization", "--from", "2020-01-01", "--to", "2026-01-01"],
     "is 2193 days; reports cover at most 400 (report.max_range_days)"),
    (["report", "visits", "--from", "2026-11-18", "--to", "2026-11-01"], "before it starts"),
    (["report", "visits", "--month", "2026-13"], "is not a month like 2026-10"),
    (["report", "visits"], "give a period"),
    (["report", "compare"], "a layout change day, or two layout versions"),
    (["report", "compare", "--before", "2026-11"], "give both --before and --after"),
    (["report", "compare", "--layout-change", "0001-01-01"], "is outside 1971-01-01"),
    (["event", "add", "X", "--start", "tomorrow", "--end", "2026-11-18T21:00"],
     "is not a time like"),
    (["event", "add", "X", "--start", "2026-11-18T18:00", "--end", "2026-11-18T21:00",
      "--zone", "nowhere"], "unknown zones"),
])
def test_user_errors_exit_2_with_the_message(config: Path, argv: list[str],
                                             message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "cli", *argv, "-c", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_formula_in_an_event_name_is_defused_in_csv(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c, formula = str(config), '=HYPERLINK("http://x","y")'
    code, _, err = hs(capsys, "event", "add", formula, "-c", c, "--start", "2026-11-18T18:00",
                      "--end", "2026-11-18T21:00", "--zone", "buzz-north")
    assert code == 0, err
    _, out, _ = hs(capsys, "event", "list", "-c", c, "--format", "csv")
    [listed] = list(csv.DictReader(io.StringIO(out)))
    assert listed["name"] == "'" + formula
    _, out, _ = hs(capsys, "report", "events", "-c", c, "--month", "2026-11", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert (row["name"], row["visits"], row["peak"]) == ("'" + formula, "12", "30")
    _, out, _ = hs(capsys, "event", "list", "-c", c, "--format", "json")
    assert json.loads(out)[0]["name"] == formula, "JSON keeps the name as given"


@pytest.mark.parametrize(("name", "code"), [("Demo\u202enight", "202E"),
                                            ("Demo\x00night", "0000"), ("Demo\tnight", "0009")])
def test_event_names_refuse_control_and_bidi_characters_as_the_api_does(
        name: str, code: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["event", "add", name, "--start", "2026-11-18T18:00", "--end", "2026-11-18T21:00"])
    assert exc.value.code == 2
    assert ("argument name: must not contain control or bidi control characters "
            f"(U+{code} at position 5)") in capsys.readouterr().err


def test_a_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", "visits", "--from", "2026-02-30", "--to", "2026-03-01"])
    assert exc.value.code == 2
    assert "'2026-02-30' is not a date like 2026-10-31" in capsys.readouterr().err


def test_a_report_before_any_rollup_says_so(config: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = hs(capsys, "report", "utilization", "-c", str(config), "--from", str(TUE),
                        "--to", str(TUE))
    assert code == 0, err
    assert "no rollups yet, so every hour counts as unknown: run `hubsense rollup" in err
    assert "buzz-north, buzz-south, quiet, meet-a, meet-b, lounge: insufficient data: known " \
        "0.0 of 10.0 opening hours" in " ".join(out.split())
    assert hs(capsys, "rollup", "-c", str(config), "--from", str(MON), "--to", str(MON))[0] == 0
    code, out, err = hs(capsys, "report", "utilization", "-c", str(config), "--from", str(TUE),
                        "--to", str(TUE))
    assert "rollups reach 2026-11-17 00:00; later hours count as unknown" in err
    # Visits after the watermark are read from the raw door totals: nothing to warn of.
    code, out, err = hs(capsys, "report", "visits", "-c", str(config), "--from", str(TUE),
                        "--to", str(TUE))
    assert (code, err) == (0, "")
    assert "total 80" in out


def test_tables_fit_80_columns_and_say_what_they_did(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c, days = str(config), ["--from", str(TUE), "--to", str(WED)]
    assert hs(capsys, "rollup", "-c", c, "--from", str(MON), "--to", str(WED))[0] == 0
    assert hs(capsys, "event", "add", "Demo night", "-c", c, "--start", "2026-11-18T18:00",
              "--end", "2026-11-18T21:00", "--zone", "buzz-north")[0] == 0
    outputs = {}
    for argv in (["report", "utilization", *days, "--exclude-events"],
                 ["report", "visits", *days, "--exclude-events"],
                 ["report", "compare", "--before", f"{TUE}..{TUE}", "--after", f"{WED}..{WED}"],
                 ["report", "events", *days], ["report", "acoustics", *days],
                 ["report", "accuracy", *days], ["event", "list"], ["check", "list"]):
        code, out, err = hs(capsys, *argv, "-c", c)
        assert code == 0, err
        assert max(map(len, out.splitlines())) <= 80, out
        outputs[argv[0] if argv[1] == "list" else argv[1]] = out
        outputs[argv[1] + " text"] = " ".join(out.split())
    util = outputs["utilization text"]
    assert ["q-01", "quiet", "10.0", "2.5", "25%", "0%"] in [
        ln.split() for ln in outputs["utilization"].splitlines()]
    assert "2.5000" not in util
    assert f"left out: {WED}: days with registered events are left out of every figure " \
           "(demo-night-20261118)" in util
    assert "(mean people / capacity in opening hours, mon-fri 08:00-18:00" in util
    assert ("buzz-south, quiet, meet-a, meet-b, lounge: insufficient data: known 0.0 of 10.0 "
            "opening hours (mon-fri 08:00-18:00)") in util
    assert "flags: none (mean people / capacity in opening hours, mon-fri" in util
    visits = outputs["visits text"]
    assert "peak hour 2026-11-17 12:00 (30 visits)" in visits, "local time, not an epoch"
    assert (f"event days {WED}: days with registered events are in the rows and the total, "
            "and left out of the baseline per day only (demo-night-20261118)") in visits
    assert "cannot tell" in outputs["compare"] and "-28 pts" in outputs["compare"]
    assert "demo-night-20261118  2026-11-18 18:00-21:00  buzz-north  Demo night" in \
        outputs["event"]
    assert "  visits 12" in outputs["events"]


def test_headcounts_and_their_accuracy_on_the_command_line(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = str(config)
    code, out, err = hs(capsys, "check", "add", "buzz-north", "12", "--at", "2026-11-17T13:00",
                        "-c", c)
    assert (code, out) == (0, "check saved: buzz-north at 2026-11-17 13:00: 12 counted, "
                              "hubsense showed 10 (count)\n"), err
    code, out, _ = hs(capsys, "check", "list", "-c", c, "--format", "csv")
    assert out.splitlines()[1] == "buzz-north,2026-11-17T13:00:00+01:00,12,count,10,-2"
    code, out, _ = hs(capsys, "report", "accuracy", "-c", c, "--month", "2026-11",
                      "--format", "json")
    body = json.loads(out)
    assert body["zones"] == [{"sensor": "count", "checks": 1, "compared": 1, "mean_error": -2.0,
                              "mean_abs_error": 2.0, "within_share": 0.0, "zone": "buzz-north"}]
    code, _, err = hs(capsys, "check", "add", "entrance", "3", "-c", c)
    assert (code, err) == (2, "hubsense: no zone 'entrance' to count people in (zones: "
                              "buzz-north, buzz-south, quiet, meet-a, meet-b, lounge)\n")


def test_today_so_far_is_the_services_figure_in_each_format(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The console's overview and `report today` are one report (reports/service.py)."""
    c = str(config)
    assert hs(capsys, "rollup", "-c", c, "--from", str(MON), "--to", str(WED))[0] == 0
    for _ in range(3):  # again if an hour turned between the two readings
        code, out, err = hs(capsys, "report", "today", "-c", c, "--format", "json")
        assert code == 0, err
        with service(c) as svc:
            want = to_jsonable_python(svc.so_far_today())
        got = json.loads(out)
        if got["hours_before"] == want["hours_before"]:
            break
    for body in (got, want):
        del body["counted_through"]  # to the minute
    assert got == want
    weekday = date.fromisoformat(got["day"]).weekday()
    assert all(date.fromisoformat(d).weekday() == weekday for d in got["typical_days"])
    code, out, _ = hs(capsys, "report", "today", "-c", c, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0][0] and len(rows) > 1
    code, out, _ = hs(capsys, "report", "today", "-c", c)
    assert code == 0 and f"typical: the mean of {', '.join(got['typical_days'])}" in " ".join(
        out.split())
