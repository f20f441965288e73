"""Staff API: utilization, visits (and their chart), layout comparison, event, acoustics and
accuracy reports, each a few lines over reports.service.

JSON by default; CSV with `?format=csv` or `Accept: text/csv`, the same columns
as `hubsense report … --format csv`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from api import examples
from api.auth import require_scope
from api.deps import PeriodDep, ReportsDep
from api.models import staff_errors
from reports import export
from reports.accuracy import AccuracyReport
from reports.acoustics import AcousticsReport
from reports.chart import visits_svg
from reports.compare import CompareReport
from reports.events import EventReport
from reports.hours import Period, ReportRangeError
from reports.service import CompareQuery, LayoutVersion
from reports.today import TodayReport
from reports.utilization import UtilizationReport
from reports.visits import VisitsReport

Reader = Annotated[str, Depends(require_scope("reports:read"))]
Format = Annotated[Literal["json", "csv"] | None,
                   Query(description="csv for a spreadsheet; default JSON, or CSV when "
                                     "Accept asks for text/csv")]
ExcludeEvents = Annotated[bool, Query(description="leave days with registered events out of "
                                                  "every figure")]
CSV_MEDIA = "text/csv; charset=utf-8"

ERRORS = staff_errors("reports:read", "a bad or too large period; the message says why")


def with_csv(example: Any, csv: str) -> dict[int | str, dict[str, Any]]:
    """The error responses, and a 200 that is JSON or CSV, each with its example."""
    return {**ERRORS, 200: {"content": {"application/json": {"example": example},
                                        "text/csv": {"schema": {"type": "string"},
                                                     "example": csv}}}}


router = APIRouter(prefix="/reports", tags=["reports"], responses=ERRORS)


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
def get_utilization(_who: Reader, request: Request, svc: ReportsDep, period: PeriodDep,
                    format: Format = None, exclude_events: ExcludeEvents = False) -> Any:
    """Return utilization over whole local days, in opening hours; unknown is never free."""
    r = svc.utilization(period, exclude_events)
    return csv_response(export.utilization_csv(r), "utilization") \
        if wants_csv(request, format) else r


def _visits(svc: ReportsDep, period: PeriodDep,
            by: Annotated[Literal["day", "week", "month"], Query()] = "day",
            exclude_events: Annotated[bool, Query(description=(
                "leave days with registered events out of the baseline per day (they stay in "
                "the rows and the total)"))] = False) -> VisitsReport:
    return svc.visits(period, by, exclude_events)


VisitsDep = Annotated[VisitsReport, Depends(_visits)]


@router.get("/visits", response_model=VisitsReport,
            responses=with_csv(examples.VISITS, examples.VISITS_CSV),
            summary="Visits so far per day, ISO week or month, the peak hour and the trend")
def get_visits(_who: Reader, request: Request, r: VisitsDep, format: Format = None) -> Any:
    """Return entries through the doors, with the previous period over the same stretch."""
    return csv_response(export.visits_csv(r), "visits") if wants_csv(request, format) else r


@router.get("/visits.svg", response_class=Response,
            responses={**ERRORS, 200: {"content": {"image/svg+xml": {
                "schema": {"type": "string"}, "example": examples.VISITS_SVG}},
                                       "description": "a bar chart for a slide"}},
            summary="Visits as an SVG bar chart")
def get_visits_chart(_who: Reader, r: VisitsDep) -> Response:
    """Return the visits report drawn as bars, ready to paste into a slide."""
    return Response(visits_svg(r), media_type="image/svg+xml")


@router.get("/compare", response_model=CompareReport,
            responses=with_csv(examples.COMPARE, examples.COMPARE_CSV),
            summary="Two periods or two layout versions side by side per zone: did a change help?")
def get_compare(
        _who: Reader, request: Request, svc: ReportsDep, before_from: date | None = None,
        before_to: date | None = None, after_from: date | None = None,
        after_to: date | None = None,
        layout_change: Annotated[date | None, Query(
            description="the day a layout took effect: compare `days` before and after")] = None,
        before_version: Annotated[int | None, Query(ge=1, description=(
            "with after_version: the last `days` of this layout version (an earlier one is "
            "listed in report.earlier_layouts) against the first `days` of the other"))] = None,
        after_version: Annotated[int | None, Query(ge=1)] = None,
        days: Annotated[int, Query(ge=1, le=366)] = 28, format: Format = None,
        exclude_events: Annotated[bool, Query(
            description="leave days with registered events out of both periods")] = False
) -> Any:
    """Return utilization per zone in both periods, and the change or why it cannot be told."""
    dates = (before_from, before_to, after_from, after_to)
    if any(dates) and not all(dates):
        raise ReportRangeError("give all of before_from, before_to, after_from and after_to")
    if (before_version is None) != (after_version is None):
        raise ReportRangeError("give both before_version and after_version")
    r = svc.compare(CompareQuery(
        Period(before_from, before_to) if before_from and before_to else None,
        Period(after_from, after_to) if after_from and after_to else None, layout_change,
        (before_version, after_version) if before_version and after_version else None, days,
        exclude_events))
    return csv_response(export.compare_csv(r), "compare") if wants_csv(request, format) else r


@router.get("/events", response_model=list[EventReport],
            responses=with_csv(examples.EVENT_REPORTS, examples.EVENT_REPORTS_CSV),
            summary="Visits and occupancy during each event of a period")
def get_event_reports(_who: Reader, request: Request, svc: ReportsDep, period: PeriodDep,
                      format: Format = None) -> Any:
    """Return, per event touching the period, visits and people per zone during it so far."""
    reps = svc.event_reports(period)
    return csv_response(export.events_csv(reps), "events") if wants_csv(request, format) \
        else reps


@router.get("/acoustics", response_model=AcousticsReport,
            responses=with_csv(examples.ACOUSTICS, examples.ACOUSTICS_CSV),
            summary="Per zone with a microphone: share of opening hours above its noise target")
def get_acoustics(_who: Reader, request: Request, svc: ReportsDep, period: PeriodDep,
                  format: Format = None) -> Any:
    """Return, per zone, the opening hours with a known LAeq and those above the target of
    its kind (report.noise_targets)."""
    r = svc.acoustics(period)
    return csv_response(export.acoustics_csv(r), "acoustics") \
        if wants_csv(request, format) else r


@router.get("/accuracy", response_model=AccuracyReport,
            responses=with_csv(examples.ACCURACY, examples.ACCURACY_CSV),
            summary="How far hubsense's figures were from staff headcounts")
def get_accuracy(_who: Reader, request: Request, svc: ReportsDep, period: PeriodDep,
                 format: Format = None) -> Any:
    """Return, per zone and sensor kind and per sensor kind, the mean error against the
    headcounts recorded in the period and the share within report.accuracy_tolerance."""
    r = svc.accuracy(period)
    return csv_response(export.accuracy_csv(r), "accuracy") \
        if wants_csv(request, format) else r


@router.get("/today", response_model=TodayReport,
            responses=with_csv(examples.TODAY, examples.TODAY_CSV),
            summary="Today so far against a typical same weekday")
def get_today(_who: Reader, request: Request, svc: ReportsDep, format: Format = None) -> Any:
    """Return today's visits so far, the busiest hour's people and the busiest zone, beside
    the mean of the last console.typical_weeks same weekdays without a holiday or an event,
    each over the same stretch of the day."""
    r = svc.so_far_today()
    return csv_response(export.today_csv(r), "today") if wants_csv(request, format) else r


@router.get("/layouts", response_model=list[LayoutVersion],
            responses={**ERRORS, 200: {"content": {"application/json": {
                "example": examples.LAYOUTS}}}},
            summary="The layout versions the reports know")
def get_layouts(_who: Reader, svc: ReportsDep) -> list[LayoutVersion]:
    """Return each layout version with the days it was in force: what compare can set side
    by side (`before_version`, `after_version`)."""
    return svc.layouts()
