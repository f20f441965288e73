"""Staff API: the events the hub team registers (name, start, end, zones), in local time."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status

from api.auth import require_scope
from api.deps import ReportsDep
from api.jsonbody import documented, json_body
from api.models import EventCreate, EventPublic, EventsPublic, Message, staff_errors
from hubsense.layout import ID_PATTERN
from reports.events import EventInfo
from reports.hours import period_of
from reports.service import EventDraft, NotFound

Reader = Annotated[str, Depends(require_scope("reports:read"))]
Writer = Annotated[str, Depends(require_scope("events:write"))]


def _errors(scope: str) -> dict[int | str, dict[str, Any]]:
    return staff_errors(scope, "invalid event or period; the message says")


router = APIRouter(prefix="/events", tags=["reports"])


def public(e: EventInfo) -> EventPublic:
    return EventPublic.model_validate(e, from_attributes=True)


@router.get("", responses=_errors("reports:read"), summary="Registered events")
def get_events(_who: Reader, svc: ReportsDep,
               first: Annotated[date | None, Query(alias="from")] = None,
               last: Annotated[date | None, Query(alias="to")] = None,
               month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
               ) -> EventsPublic:
    """Return every event, or those touching the period, oldest first, in local time."""
    found = svc.events(None if first is None and last is None and month is None
                       else period_of(first, last, month))
    return EventsPublic(count=len(found), data=[public(e) for e in found])


async def new_event(_who: Writer, request: Request) -> EventCreate:
    """The event in the body, read only once the token may write events."""
    return await json_body(request, EventCreate)


@router.post("", status_code=status.HTTP_201_CREATED,
             responses={**_errors("events:write"), 413: {
                 "model": Message, "description": "the body is larger than api.max_body_bytes"}},
             openapi_extra=documented(EventCreate), summary="Register or replace an event")
def post_event(body: Annotated[EventCreate, Depends(new_event)], svc: ReportsDep
               ) -> EventPublic:
    """Save the event; its zones must be in the layout, and it lasts at most 14 days."""
    try:
        return public(svc.add_event(EventDraft(body.name, body.start, body.end,
                                               tuple(body.zones), body.id)))
    except ValueError as exc:  # ends before it starts, too long, unknown zones, out of range
        raise HTTPException(400, str(exc)) from None


@router.delete("/{event_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses={**_errors("events:write"),
                          404: {"model": Message, "description": "no such event"}},
               summary="Delete an event")
def remove_event(_who: Writer, svc: ReportsDep,
                 event_id: Annotated[str, Path(pattern=ID_PATTERN)]) -> Response:
    """Delete the event with this id; 404 names an id that is not registered."""
    try:
        svc.delete_event(event_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
