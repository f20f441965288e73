"""One truth about a zone: every surface shows what the domain decided, at every moment.

The morning of tests/morning.py is lived once through the collector's and the
API's own code into a real InfluxDB: all fresh, one node silent, all silent,
the collector hung, back, the broker away. At each moment, each surface is read
the way its user sees it and brought to one vocabulary (`Word`):

- the API: GET /api/v1/zones and /desks, as served;
- the stream: the `zones` event GET /api/v1/stream sends;
- the screen: the real view.js in Chromium, in English and Swedish;
- Home Assistant: its 2024.3.3 MQTT entities (tests/collector/homeassistant.py)
  on the collector's own discovery configs and retained messages;
- Grafana: the live dashboard's "now" panels against InfluxDB;
- reports: the timeline every report counts durations from (reports/timeline.py).

Each surface may say less than the API (Home Assistant has no lower bounds,
reports count a lower bound as unknown), never something else: a number only
where the API has that exact number, and nothing known where the API has
nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, Page

from collector.discovery import zone_entities
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.state import Thresholds, ZoneState, ZoneStatus
from reports.timeline import Timeline
from tests.dashboards.grafana import opened, panel, rows
from tests.hub import Hub, Moment
from tests.morning import MOMENTS, at

STATIC = Path(__file__).resolve().parents[2] / "api" / "static"
HA_NODE = "hubsense_"  # + site: Home Assistant's node id (collector/discovery.py)
AFTER = at(0) + 7 * 86_400_000  # "now" for the reports: the morning's week is over


@dataclass(frozen=True)
class Word:
    """What a surface says of the people in a zone."""

    known: Literal["exact", "at_least", "nothing"]
    people: int | None = None

    @classmethod
    def of(cls, z: ZoneState) -> Word:
        """The API's word: the domain's decision."""
        if z.occupied is None:
            return cls("nothing")
        return cls("at_least" if z.at_least else "exact", z.occupied)

    def without_bounds(self) -> Word:
        """What a surface that has no lower bounds (Home Assistant, reports) may say:
        an exact number, or that it does not know."""
        return self if self.known == "exact" else Word("nothing")


def api_zones(m: Moment) -> dict[str, dict[str, Any]]:
    body = json.loads(m.body)
    return {z["id"]: z for z in body["data"]}


# -- the stream --

def sse_zones(event: bytes) -> dict[str, Any]:
    """The data of the `zones` event in one write of the stream."""
    blocks = [dict(line.split(": ", 1) for line in block.split("\n"))
              for block in event.decode().strip().split("\n\n")]
    [zones] = [b for b in blocks if b.get("event") == "zones"]
    return dict(json.loads(zones["data"]))


@pytest.mark.services
@pytest.mark.parametrize("moment", MOMENTS)
def test_the_stream_sends_what_the_api_serves(lived: tuple[InfluxV1, Hub], moment: str) -> None:
    m = lived[1].moments[moment]
    assert sse_zones(m.event) == json.loads(m.body)


# -- the screen --

class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def static_url() -> Iterator[str]:
    """The screen's own files over HTTP (modules do not load from file://)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(STATIC)))
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def screen(browser: Browser, static_url: str) -> Iterator[Page]:
    page = browser.new_context().new_page()
    page.goto(f"{static_url}/favicon.svg")  # any page of the origin, for import()
    yield page
    page.context.close()


def screen_says(page: Page, m: Moment, lang: str) -> dict[str, dict[str, Any]]:
    """view.js's describe() of every zone in the API's body, as the screen draws it."""
    described: dict[str, dict[str, Any]] = page.evaluate(
        """async ([zones, lang, now]) => {
             const { describe } = await import("/view.js");
             const { STRINGS } = await import("/i18n.js");
             return Object.fromEntries(zones.map((z) => [z.id, describe(z, STRINGS[lang], now)]));
           }""", [list(api_zones(m).values()), lang, m.at_ms])
    return described


def screen_word(z: dict[str, Any], detail: str) -> Word:
    """The people or desks the English screen writes, as a Word."""
    if z["desks_total"]:
        got = re.search(r"(at least )?(\d+) of (\d+) desks free", detail)
        if got is None:
            return Word("nothing")
        taken = z["desks_total"] - z["desks_unknown"] - int(got[2])
        return Word("at_least" if got[1] else "exact", taken)
    got = re.search(r"(at least )?(\d+) of (\d+) places taken", detail)
    return Word("at_least" if got[1] else "exact", int(got[2])) if got else Word("nothing")


@pytest.mark.services
@pytest.mark.parametrize("moment", MOMENTS)
def test_the_screen_says_what_the_api_says(lived: tuple[InfluxV1, Hub], screen: Page,
                                           moment: str) -> None:
    m = lived[1].moments[moment]
    zones = api_zones(m)
    english, swedish = screen_says(screen, m, "en"), screen_says(screen, m, "sv")
    for zid, z in zones.items():
        api = m.zones[zid]
        assert english[zid]["key"] == swedish[zid]["key"] == api.status.value, zid
        if api.kind == "meeting_area":  # one group: the screen gives no head count
            assert not re.search(r"\d+ of \d+ places", english[zid]["detail"]), zid
            continue
        word = Word.of(api)
        if api.desks_total:  # desks are counted, not people: compare the taken desks
            word = (Word("nothing") if api.desks_free is None else
                    Word(word.known, api.desks_total - api.desks_unknown - api.desks_free))
        assert screen_word(z, english[zid]["detail"]) == word, (zid, english[zid])
        if api.status is ZoneStatus.UNKNOWN and api.occupied is None:
            assert english[zid]["detail"].startswith(("last data", "no data")), zid
    # The screen's connection badge (screen.js) and the API agree on "live".
    body = json.loads(m.body)
    assert (body["broker"] and body["collector"]) == body["live"] == m.live


# -- Home Assistant --

def ha_says(hub: Hub, m: Moment, zone: str, key: str) -> str:
    return m.ha[f"{HA_NODE}{hub.site}_{zone}_{key}"]


@pytest.mark.services
@pytest.mark.parametrize("moment", MOMENTS)
def test_home_assistant_shows_what_the_api_shows(lived: tuple[InfluxV1, Hub], layout: Layout,
                                                 moment: str) -> None:
    hub = lived[1]
    m = hub.moments[moment]
    gone = "unknown" if m.live else "unavailable"  # the collector's or the broker's absence
    for z in layout.zones:
        keys = {e.key for e in zone_entities(layout, z)}
        if not keys:
            continue
        api = m.zones[z.id]
        word = Word.of(api)
        people, occupancy = ha_says(hub, m, z.id, "people"), ha_says(hub, m, z.id, "occupancy")
        ha_word = Word("exact", int(people)) if people.isdigit() else Word("nothing")
        assert ha_word == word.without_bounds(), (z.id, people)
        if word.known == "nothing":
            assert people == occupancy == gone, z.id
        elif word.people:  # someone seen by a live sensor is there, bound or not
            assert occupancy == "on", z.id
        else:
            assert occupancy == ("off" if word.known == "exact" else gone), z.id
        if "noise" in keys:
            noise, laeq = ha_says(hub, m, z.id, "noise"), ha_says(hub, m, z.id, "laeq")
            assert noise == (api.noise.value if api.noise else "unavailable"), z.id
            assert laeq == (str(api.laeq) if api.laeq is not None else gone), z.id


# -- Grafana --

@pytest.mark.services
@pytest.mark.parametrize("moment", MOMENTS)
def test_grafana_now_panels_show_what_the_api_shows(lived: tuple[InfluxV1, Hub],
                                                    layout: Layout, moment: str) -> None:
    db, hub = lived
    m = hub.moments[moment]
    v = opened(db, layout, "live.json", m)
    unknown = ZoneStatus.UNKNOWN.value

    [live] = panel("live.json", "Collector")["targets"]
    beats = rows(v.run(db, panel("live.json", "Collector"), live))
    assert bool(beats) == m.live

    table = panel("live.json", "Zones now")
    zones = {r["zone"]: r for r in rows(v.run(db, table, table["targets"][0]))}
    bars = panel("live.json", "People now, per zone")
    exact, at_least = ({r["zone"]: r["people"] for r in rows(v.run(db, bars, t))}
                       for t in bars["targets"])
    desks = panel("live.json", "Desks now")
    desk_rows = {r["desk"]: r["status"] for r in rows(v.run(db, desks, desks["targets"][0]))}

    for z in layout.zones:
        api = m.zones[z.id]
        shown = zones.get(z.id, {})
        assert shown.get("status", unknown) == api.status.value, z.id
        people = shown.get("people")
        word = (Word("nothing") if people is None else
                Word("at_least" if shown.get("count") else "exact", people))
        assert word == Word.of(api), z.id
        # the bars: exact counts in one series, lower bounds in the other, never both
        assert (at_least if api.at_least else exact).get(z.id) == api.occupied, z.id
        assert z.id not in (exact if api.at_least else at_least), z.id
    for d in layout.desks:
        assert desk_rows.get(d.id, unknown) == m.desks[d.id].status.value, d.id


# -- reports --

def value_at(spans: list[Any], t: int) -> int | None:
    [value] = [s.value for s in spans if s.start_ms <= t < s.end_ms]
    return value if value is None else int(value)


@pytest.mark.services
@pytest.mark.parametrize("moment", MOMENTS)
def test_reports_count_what_the_api_showed(lived: tuple[InfluxV1, Hub], layout: Layout,
                                           moment: str) -> None:
    """A report read after the week counts each moment as the API showed it then."""
    db, hub = lived
    m = hub.moments[moment]
    timeline = Timeline(db, [layout], Thresholds().stale_factor, AFTER)
    start = m.at_ms - 60_000
    desks0, zones0 = timeline.before(start)
    zones = timeline.zones(start, m.at_ms + 1, zones0).spans
    desks = timeline.desks(start, m.at_ms + 1, desks0).spans
    for z in layout.zones:
        counted = value_at(zones.get(z.id, []), m.at_ms) if z.id in zones else None
        word = Word("nothing") if counted is None else Word("exact", counted)
        assert word == Word.of(m.zones[z.id]).without_bounds(), z.id
    for d in layout.desks:
        counted = value_at(desks[d.id], m.at_ms) if d.id in desks else None
        shown = {"occupied": 1, "free": 0}.get(m.desks[d.id].status.value)
        assert counted == shown, d.id
