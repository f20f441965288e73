"""Staff API: accuracy checks, a staff member's headcount of a zone beside hubsense's figure."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from api.auth import require_scope
from api.deps import ReportsDep
from api.jsonbody import documented, json_body
from api.models import CheckCreate, CheckPublic, ChecksPublic, Message, staff_errors
from reports.hours import period_of

Reader = Annotated[str, Depends(require_scope("reports:read"))]
Writer = Annotated[str, Depends(require_scope("checks:write"))]


def _errors(scope: str) -> dict[int | str, dict[str, Any]]:
    return staff_errors(scope, "invalid check or period; the message says")


router = APIRouter(prefix="/checks", tags=["reports"])


@router.get("", responses=_errors("reports:read"), summary="Recorded headcounts")
def get_checks(_who: Reader, svc: ReportsDep,
               first: Annotated[date | None, Query(alias="from")] = None,
               last: Annotated[date | None, Query(alias="to")] = None,
               month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
               ) -> ChecksPublic:
    """Return every headcount, or those in the period, oldest first, in local time."""
    found = svc.checks(None if first is None and last is None and month is None
                       else period_of(first, last, month))
    return ChecksPublic(count=len(found), data=[CheckPublic.model_validate(c) for c in found])


async def new_check(_who: Writer, request: Request) -> CheckCreate:
    """The headcount in the body, read only once the token may record checks."""
    return await json_body(request, CheckCreate)


@router.post("", status_code=status.HTTP_201_CREATED,
             responses={**_errors("checks:write"), 413: {
                 "model": Message, "description": "the body is larger than api.max_body_bytes"}},
             openapi_extra=documented(CheckCreate),
             summary="Record a headcount beside what hubsense showed")
def post_check(body: Annotated[CheckCreate, Depends(new_check)], svc: ReportsDep
               ) -> CheckPublic:
    """Store the people counted in a zone (now, or at `at`) with hubsense's figure then."""
    try:
        return CheckPublic.model_validate(svc.record_check(body.zone, body.people, body.at))
    except ValueError as exc:  # unknown zone, no people sensor, in the future
        raise HTTPException(400, str(exc)) from None
