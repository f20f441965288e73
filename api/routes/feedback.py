"""Visitors' feedback from the screen: a zone is too loud, or has no free seat.

Public and anonymous: anyone at the hub may press. The per-client rate limit
applies (api/ratelimit.py), and a client's word on a zone counts once per
`api.feedback_cooldown_s` (api/cooldown.py), so one person cannot stuff the
count: a second word within that time is answered 200 with `counted: false`
rather than refused, since for the visitor nothing went wrong. What is stored
is a count per zone, kind and hour (reports/feedback.py); staff read it with
`reports:read`.
"""

from __future__ import annotations

import math
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError

from api import examples
from api.auth import require_scope
from api.deps import CooldownDep, FeedbackCountsDep, InfluxDep, LayoutDep, PeriodDep, SettingsDep
from api.jsonbody import documented, json_body
from api.models import FeedbackAnswer, FeedbackCreate, Message
from hubsense.influx import InfluxError
from hubsense.state import SEATABLE
from reports.feedback import FeedbackKind, FeedbackReport, feedback_report

router = APIRouter(prefix="/feedback", tags=["feedback"])

Reader = Annotated[str, Depends(require_scope("reports:read"))]
_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"model": Message, "description": "InfluxDB did not answer; nothing was counted"}}


async def feedback_body(request: Request) -> FeedbackCreate:
    return await json_body(request, FeedbackCreate)


@router.post("", status_code=status.HTTP_201_CREATED, openapi_extra=documented(FeedbackCreate),
             responses={**_DOWN,
                        200: {"model": FeedbackAnswer,
                              "description": "not counted: this client spoke about this zone "
                                             "a moment ago",
                              "content": {"application/json": {"example": {
                                  "zone": "quiet", "kind": "too_loud", "counted": False,
                                  "again_after_s": 412}}}},
                        201: {"description": "counted"},
                        413: {"model": Message,
                              "description": "the body is larger than api.max_body_bytes"}},
             summary="Say a zone is too loud or has no free seat (anonymous)")
def post_feedback(body: Annotated[FeedbackCreate, Depends(feedback_body)], request: Request,
                  response: Response, layout: LayoutDep, counts: FeedbackCountsDep,
                  cooldown: CooldownDep) -> FeedbackAnswer:
    """Count the word for the zone's current hour, once per client and zone in a while."""
    zone = layout.zone(body.zone)
    if zone is None or zone.kind not in SEATABLE:
        raise RequestValidationError([{"type": "zone", "loc": ("body", "zone"),
                                       "msg": "not a zone of this site where one sits"}])
    client = request.client.host if request.client else "?"
    wait = cooldown.take(client, zone.id)
    if wait > 0:  # not an error for the visitor: their word is in the count already
        response.status_code = status.HTTP_200_OK
        return FeedbackAnswer(zone=zone.id, kind=body.kind, counted=False,
                              again_after_s=math.ceil(wait))
    try:
        counts.add(zone, FeedbackKind(body.kind), int(time.time() * 1000))
    except InfluxError:
        cooldown.release(client, zone.id)  # not counted: the visitor may try again
        raise
    return FeedbackAnswer(zone=zone.id, kind=body.kind, counted=True,
                          again_after_s=math.ceil(cooldown.seconds))


@router.get("", response_model=FeedbackReport,
            responses={**_DOWN,
                       200: {"content": {"application/json": {"example": examples.FEEDBACK}}},
                       400: {"model": Message, "description": "a bad or too large period"},
                       401: {"model": Message, "description": "no or unknown token"},
                       403: {"model": Message, "description": "token lacks 'reports:read'"}},
             summary="Visitor feedback per zone and hour")
def get_feedback(_who: Reader, db: InfluxDep, layout: LayoutDep, settings: SettingsDep,
                 period: PeriodDep) -> FeedbackReport:
    """Return, per zone and local hour with any feedback, how often each kind was sent."""
    return feedback_report(db, layout, settings.report, period)
