"""What a site's dashboards are built from: its layout, and the settings that decide
local time, when an input or the collector counts as silent, and which zones are flagged.

Grafana cannot read hubsense's settings, so the build bakes them in: a site with
another time zone, heartbeat or thresholds builds its own dashboards
(`python -m dashboards.build -c hubsense.toml`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hubsense.layout import Layout, load_layout
from hubsense.settings import (
    CollectorSettings,
    ReportSettings,
    Settings,
    StateSettings,
    load_settings,
)

EXAMPLE_LAYOUT = Path(__file__).resolve().parent.parent / "config" / "layout.yaml"


@dataclass(frozen=True)
class Site:
    layout: Layout
    state: StateSettings
    collector: CollectorSettings
    report: ReportSettings

    @classmethod
    def of(cls, settings: Settings) -> Site:
        """The site a deployment's settings describe."""
        return cls(load_layout(settings.layout), settings.state, settings.collector,
                   settings.report)

    @classmethod
    def of_file(cls, config: str | Path) -> Site:
        """The site of a TOML config file (and the environment, as every service reads it)."""
        return cls.of(load_settings(config))

    @classmethod
    def example(cls) -> Site:
        """The example hub with default settings: what dashboards/json holds."""
        return cls(load_layout(EXAMPLE_LAYOUT), StateSettings(), CollectorSettings(),
                   ReportSettings())

    @property
    def id(self) -> str:
        return self.layout.site.id

    @property
    def timezone(self) -> str:
        """Local time, as the reports count it: report.timezone, else the layout's."""
        return self.report.timezone or self.layout.site.timezone

    @property
    def collector_silent_s(self) -> int:
        """Without a collector heartbeat this long, the API shows every zone unknown."""
        return round(self.state.stale_factor * self.collector.heartbeat_s)

    @property
    def node_silent_s(self) -> int:
        """Without a node heartbeat this long its inputs are unknown (the slowest node)."""
        slowest = max((n.heartbeat_s for n in self.layout.nodes), default=30)
        return round(self.state.stale_factor * slowest)
