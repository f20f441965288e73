"""Dependencies the routes share: the live state, the layout, the settings, InfluxDB, the
reports service, a period, and the feedback counter with its cooldown."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request

from api.changes import Changes
from api.cooldown import Cooldown
from api.live import LiveState
from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import Settings
from reports.feedback import FeedbackCounts
from reports.hours import Period, period_of
from reports.service import ReportService


def get_live(request: Request) -> LiveState:
    live: LiveState = request.app.state.live
    return live


def get_changes(request: Request) -> Changes:
    changes: Changes = request.app.state.changes
    return changes


def get_layout(request: Request) -> Layout:
    layout: Layout = request.app.state.layout
    return layout


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


LiveDep = Annotated[LiveState, Depends(get_live)]
ChangesDep = Annotated[Changes, Depends(get_changes)]
LayoutDep = Annotated[Layout, Depends(get_layout)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_influx(request: Request) -> InfluxV1:
    """The app's one InfluxDB client, opened in the lifespan."""
    db: InfluxV1 = request.app.state.influx
    return db


InfluxDep = Annotated[InfluxV1, Depends(get_influx)]


def get_feedback_counts(request: Request) -> FeedbackCounts:
    """The app's one counter of visitor feedback, writing through its InfluxDB client."""
    counts: FeedbackCounts = request.app.state.feedback
    return counts


def get_cooldown(request: Request) -> Cooldown:
    cooldown: Cooldown = request.app.state.cooldown
    return cooldown


FeedbackCountsDep = Annotated[FeedbackCounts, Depends(get_feedback_counts)]
CooldownDep = Annotated[Cooldown, Depends(get_cooldown)]


def get_reports(request: Request, db: InfluxDep) -> ReportService:
    """The reports service over the app's InfluxDB client, layout versions and settings."""
    return ReportService(db, request.app.state.versions, request.app.state.settings)


ReportsDep = Annotated[ReportService, Depends(get_reports)]


def get_period(
        settings: SettingsDep,
        first: Annotated[date | None, Query(alias="from", description="first local day")] = None,
        last: Annotated[date | None, Query(alias="to", description="last local day")] = None,
        month: Annotated[str | None, Query(description="a whole month instead, e.g. 2026-10",
                                           pattern=r"^[0-9]{4}-[0-9]{2}$")] = None) -> Period:
    """The report period from `from`/`to` or `month`, refused (400) when too large."""
    return period_of(first, last, month).check(settings.report.max_range_days)


PeriodDep = Annotated[Period, Depends(get_period)]
