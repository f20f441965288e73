"""Staff API: utilization, visits (and their chart), layout comparison and event reports.

JSON by default; CSV with `?format=csv` or `Accept: text/csv`, the same columns
as `hubsense report … --format csv`.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from api import examples
from api.auth import require_scope
from api.deps import InfluxDep, LayoutDep, PeriodDep, SettingsDep
from api.models import Message
from reports import export
from reports.chart import visits_svg
from reports.compare import ZoneChange, compare, sides
from reports.events import EventReport, event_report, events_during, excluded_days
from reports.hours import Calendar, Period, ReportRangeError
from reports.utilization import UtilizationReport, utilization
from reports.visits import VisitsReport, visits

Reader = Annotated[str, Depends(require_scope("reports:read"))]
Format = Annotated[Literal["json", "csv"] | None,
                   Query(description="csv for a spreadsheet; default JSON, or CSV when "
                                     "Accept asks for text/csv")]
ExcludeEvents = Annotated[bool, Query(description="leave days with registered events out")]
CSV_MEDIA = "text/csv; charset=utf-8"

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Message, "description": "a bad or too large period; the message says why"},
    401: {"model": Message, "description": "no or unknown token"},
    403: {"model": Message, "description": "token lacks 'reports:read'"},
    503: {"model": Message, "description": "InfluxDB did not answer"},
}


def with_csv(example: Any, csv: str) -> dict[int | str, dict[str, Any]]:
    """The error responses, and a 200 that is JSON or CSV, each with its example."""
    return {**ERRORS, 200: {"content": {"application/json": {"example": example},
                                        "text/csv": {"schema": {"type": "string"},
                                                     "example": csv}}}}


router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=ERRORS)


def wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    return "text/csv" in request.headers.get("accept", "")


def csv_response(text: str, name: str) -> Response:
    return Response(text, media_type=CSV_MEDIA,
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/utilization", response_model=UtilizationReport,
            responses=with_csv(examples.UTILIZATION, examples.UTILIZATION_CSV),
            summary="Per zone and desk: occupied, free and unknown hours, means, peaks, flags")
def get_utilization(_who: Reader, request: Request, db: InfluxDep, layout: LayoutDep,
                    settings: SettingsDep, period: PeriodDep, format: Format = None,
                    exclude_events: ExcludeEvents = False) -> Any:
    """Return utilization over whole local days, in opening hours; unknown is never free."""
    days = excluded_days(db, layout, settings.report, period, exclude_events)
    r = utilization(db, layout, settings.report, period, days)
    return csv_response(export.utilization_csv(r), "utilization") \
        if wants_csv(request, format) else r


def _visits(db: InfluxDep, layout: LayoutDep, settings: SettingsDep, period: PeriodDep,
            by: Annotated[Literal["day", "week", "month"], Query()] = "day",
            exclude_events: ExcludeEvents = False) -> VisitsReport:
    return visits(db, layout, settings.report, period, by,
                  excluded_days(db, layout, settings.report, period, exclude_events))


VisitsDep = Annotated[VisitsReport, Depends(_visits)]


@router.get("/visits", response_model=VisitsReport,
            responses=with_csv(examples.VISITS, examples.VISITS_CSV),
            summary="Visits per day, ISO week or month, the peak hour and the trend")
def get_visits(_who: Reader, request: Request, r: VisitsDep, format: Format = None) -> Any:
    """Return entries through the doors, with the previous period of the same length."""
    return csv_response(export.visits_csv(r), "visits") if wants_csv(request, format) else r


@router.get("/visits.svg", response_class=Response,
            responses={**ERRORS, 200: {"content": {"image/svg+xml": {
                "schema": {"type": "string"}, "example": examples.VISITS_SVG}},
                                       "description": "a bar chart for a slide"}},
            summary="Visits as an SVG bar chart")
def get_visits_chart(_who: Reader, r: VisitsDep) -> Response:
    """Return the visits report drawn as bars, ready to paste into a slide."""
    return Response(visits_svg(r), media_type="image/svg+xml")


@router.get("/compare", response_model=list[ZoneChange],
            responses=with_csv(examples.COMPARE, examples.COMPARE_CSV),
            summary="Two periods or two layout versions side by side per zone: did a change help?")
def get_compare(
        _who: Reader, request: Request, db: InfluxDep, layout: LayoutDep,
        settings: SettingsDep, before_from: date | None = None, before_to: date | None = None,
        after_from: date | None = None, after_to: date | None = None,
        layout_change: Annotated[date | None, Query(
            description="the day a layout took effect: compare `days` before and after")] = None,
        before_version: Annotated[int | None, Query(ge=1, description=(
            "with after_version: the last `days` of this layout version (an earlier one is "
            "listed in report.earlier_layouts) against the first `days` of the other"))] = None,
        after_version: Annotated[int | None, Query(ge=1)] = None,
        days: Annotated[int, Query(ge=1, le=366)] = 28, format: Format = None,
        exclude_events: ExcludeEvents = False) -> Any:
    """Return utilization per zone in both periods and the change."""
    cfg = settings.report
    dates = (before_from, before_to, after_from, after_to)
    if any(dates) and not all(dates):
        raise ReportRangeError("give all of before_from, before_to, after_from and after_to")
    if (before_version is None) != (after_version is None):
        raise ReportRangeError("give both before_version and after_version")
    today = Calendar.from_settings(cfg, layout.site.timezone).local_date(int(time.time() * 1000))
    s = sides(request.app.state.versions, cfg, today, days,
              (Period(before_from, before_to), Period(after_from, after_to))
              if before_from and before_to and after_from and after_to else None,
              layout_change,
              (before_version, after_version) if before_version and after_version else None)
    both = Period(min(s.before.first, s.after.first), max(s.before.last, s.after.last))
    changes = compare(db, s.before_layout, cfg, s.before, s.after,
                      excluded_days(db, layout, cfg, both, exclude_events), s.after_layout)
    return csv_response(export.compare_csv(changes), "compare") \
        if wants_csv(request, format) else changes


@router.get("/events", response_model=list[EventReport],
            responses=with_csv(examples.EVENT_REPORTS, examples.EVENT_REPORTS_CSV),
            summary="Visits and occupancy during each event of a period")
def get_event_reports(_who: Reader, request: Request, db: InfluxDep, layout: LayoutDep,
                      settings: SettingsDep, period: PeriodDep,
                      format: Format = None) -> Any:
    """Return, per event touching the period, visits and people per zone during it."""
    reps = [event_report(db, layout, settings.report, e)
            for e in events_during(db, layout, settings.report, period)]
    return csv_response(export.events_csv(reps), "events") if wants_csv(request, format) \
        else reps
