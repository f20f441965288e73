"""What Grafana does with a dashboard's queries, as far as these tests need it.

No Grafana can run here (PLATFORM.md), so the tests do what Grafana 10 does before
a query leaves for InfluxDB: the time macros, $__interval (never under the panel's
minimum interval), and the variables, a SELECT variable taking its values from the
column after time as Grafana's InfluxDB response parser does (none: the empty
string, so `/^$/` matches nothing).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from dashboards.build import OUT
from hubsense.influx import InfluxV1, Series
from hubsense.layout import Layout
from tests.hub import Moment

Json = dict[str, Any]
SIX_HOURS = 6 * 3600_000  # the live dashboard's default range
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(interval: str) -> float:
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d)", interval)
    assert m, interval
    return int(m[1]) * _UNITS[m[2]]


@dataclass
class View:
    """A dashboard open over [from_ms, to_ms] with its variables as the user left them."""

    layout: Layout
    from_ms: int
    to_ms: int
    interval_s: int = 60
    values: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values.setdefault("site", self.layout.site.id)
        self.values.setdefault("zone", "(" + "|".join(z.id for z in self.layout.zones) + ")")
        self.values.setdefault("node", "(" + "|".join(n.id for n in self.layout.nodes) + ")")

    def substitute(self, query: str, min_interval: str = "") -> str:
        interval = max(self.interval_s, seconds(min_interval) if min_interval else 0)
        q = query.replace("$timeFilter", f"time >= {self.from_ms}ms and time <= {self.to_ms}ms")
        q = q.replace("${__from}", str(self.from_ms)).replace("${__to}", str(self.to_ms))
        q = q.replace("$__interval", f"{interval:g}s")
        for name, value in self.values.items():
            q = q.replace(f"/^${name}$/", f"/^{value}$/")
        assert "$" not in q.replace("$/", ""), f"unsubstituted variable in {q}"
        return q

    def resolve(self, db: InfluxV1, variables: list[Json]) -> None:
        """Take each SELECT variable's values from the database, as Grafana does on load."""
        for v in variables:
            if v["query"].upper().startswith("SELECT"):
                rows = [r for s in db.query(self.substitute(v["query"])) for r in s.values]
                self.values[v["name"]] = "|".join(dict.fromkeys(str(r[1]) for r in rows))

    def run(self, db: InfluxV1, panel: Json, target: Json) -> list[Series]:
        return db.query(self.substitute(target["query"], panel.get("interval", "")))


def rows(series: list[Series]) -> list[dict[str, Any]]:
    """Every row of every series, its tags merged in."""
    return [{**s.tags, **r} for s in series for r in s.rows()]


def committed() -> dict[str, Json]:
    """The dashboards as provisioned."""
    return {p.name: json.loads(p.read_text()) for p in sorted(OUT.glob("*.json"))}


def panel(name: str, title: str) -> Json:
    [p] = [p for p in committed()[name]["panels"] if p["title"] == title]
    return p


def opened(db: InfluxV1, layout: Layout, name: str, m: Moment) -> View:
    """Dashboard `name` as opened at moment `m`: the last six hours, variables resolved."""
    v = View(layout, m.at_ms - SIX_HOURS, m.at_ms)
    v.resolve(db, committed()[name]["templating"]["list"])
    return v
