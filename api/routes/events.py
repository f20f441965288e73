"""Staff API: the events the hub team registers (name, start, end, zones)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status

from api.auth import require_scope
from api.deps import InfluxDep, LayoutDep, SettingsDep
from api.jsonbody import documented, json_body
from api.models import EventCreate, EventPublic, EventsPublic, Message
from hubsense.layout import ID_PATTERN
from reports.events import Event, delete_event, events_during, list_events, save_event
from reports.events import event_id as new_event_id
from reports.hours import FIRST_DAY, LAST_DAY, Calendar, ReportRangeError, period_of, to_ms

ALL_TIME = (0, to_ms(datetime(2200, 1, 1, tzinfo=UTC)))  # events are few: list them all

Reader = Annotated[str, Depends(require_scope("reports:read"))]
Writer = Annotated[str, Depends(require_scope("events:write"))]


def _errors(scope: str) -> dict[int | str, dict[str, Any]]:
    return {400: {"model": Message, "description": "invalid event or period; the message says"},
            401: {"model": Message, "description": "no or unknown token"},
            403: {"model": Message, "description": f"token lacks '{scope}'"},
            503: {"model": Message, "description": "InfluxDB did not answer"}}


router = APIRouter(prefix="/api/v1/events", tags=["reports"])


def public(e: Event) -> EventPublic:
    def t(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, UTC)

    return EventPublic(id=e.id, name=e.name, start=t(e.start_ms), end=t(e.end_ms),
                       zones=list(e.zones))


@router.get("", responses=_errors("reports:read"), summary="Registered events")
def get_events(_who: Reader, db: InfluxDep, layout: LayoutDep, settings: SettingsDep,
               first: Annotated[date | None, Query(alias="from")] = None,
               last: Annotated[date | None, Query(alias="to")] = None,
               month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
               ) -> EventsPublic:
    """Return every event, or those touching the period, oldest first."""
    if first is None and last is None and month is None:
        events = list_events(db, layout, *ALL_TIME)
    else:
        period = period_of(first, last, month).check(settings.report.max_range_days)
        events = events_during(db, layout, settings.report, period)
    return EventsPublic(count=len(events), data=[public(e) for e in events])


async def new_event(_who: Writer, request: Request) -> EventCreate:
    """The event in the body, read only once the token may write events."""
    return await json_body(request, EventCreate)


@router.post("", status_code=status.HTTP_201_CREATED,
             responses={**_errors("events:write"), 413: {
                 "model": Message, "description": "the body is larger than api.max_body_bytes"}},
             openapi_extra=documented(EventCreate), summary="Register or replace an event")
def post_event(body: Annotated[EventCreate, Depends(new_event)], db: InfluxDep,
               layout: LayoutDep, settings: SettingsDep) -> EventPublic:
    """Save the event; its zones must be in the layout, and it lasts at most 14 days."""
    cal = Calendar.from_settings(settings.report, layout.site.timezone)
    start, end = (t if t.tzinfo else t.replace(tzinfo=cal.tz) for t in (body.start, body.end))
    for t in (start, end):
        if not FIRST_DAY <= t.date() <= LAST_DAY:
            raise ReportRangeError(f"{t.isoformat()} is outside {FIRST_DAY}..{LAST_DAY}")
    start_ms = to_ms(start)
    try:
        ev = Event(body.id or new_event_id(body.name, cal.local_date(start_ms)), body.name,
                   start_ms, to_ms(end), tuple(body.zones))
        save_event(db, layout, ev)
    except ValueError as exc:  # ends before it starts, too long, unknown zones
        raise HTTPException(400, str(exc)) from None
    return public(ev)


@router.delete("/{event_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses={**_errors("events:write"),
                          404: {"model": Message, "description": "no such event"}},
               summary="Delete an event")
def remove_event(_who: Writer, db: InfluxDep, layout: LayoutDep,
                 event_id: Annotated[str, Path(pattern=ID_PATTERN)]) -> Response:
    """Delete the event with this id; 404 names an id that is not registered."""
    found = [e for e in list_events(db, layout, *ALL_TIME) if e.id == event_id]
    if not found:
        raise HTTPException(404, f"no event '{event_id}'")
    for ev in found:
        delete_event(db, layout, ev)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
