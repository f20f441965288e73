"""The staff console at /staff: its page, and signing in and out.

One static page draws every view from the staff API (/api/v1), which a
session cookie opens as a bearer token does, with the account's scopes: the
console shows the figures the API and the command line give, from the same
reports service. Not in the OpenAPI spec: a browser's routes, not a script's.
"""

from __future__ import annotations

import logging
import math
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.auth import console_session, require_csrf
from api.deps import SettingsDep
from api.jsonbody import json_body
from api.routes.screen import STATIC
from api.sessions import COOKIE, Session, Sessions, SignInLimit, pseudonym
from hubsense.accounts import Accounts
from hubsense.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/staff", include_in_schema=False)

PAGES = ("", "overview", "utilization", "compare", "visits", "month", "acoustics", "accuracy",
         "check", "nodes")
# Scripts, styles and data from this origin only; images drawn for export are blob: URLs.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_PAGE_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                 "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
                 "X-Frame-Options": "DENY"}
_NO_STORE = {"Cache-Control": "no-store"}


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionPublic(BaseModel):
    """Who is signed in, what they may do, and the token their writes must carry."""

    username: str
    scopes: list[str]
    csrf: str
    idle_timeout_s: int
    low_heap_bytes: int


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def _public(s: Session, settings: Settings) -> SessionPublic:
    return SessionPublic(username=s.username, scopes=sorted(s.scopes), csrf=s.csrf,
                         idle_timeout_s=settings.console.idle_timeout_s,
                         low_heap_bytes=settings.console.low_heap_bytes)


@router.get("")
@router.get("/{page}")
def page(page: str = "") -> FileResponse:
    """The console's one page; it draws the view its path names."""
    if page not in PAGES:
        raise HTTPException(404, "no such page")
    return FileResponse(STATIC / "console" / "console.html", media_type="text/html",
                        headers=_PAGE_HEADERS)


def _secure(request: Request, settings: Settings) -> bool:
    mode = settings.console.secure_cookie
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


@router.get("/api/session")
def whoami(request: Request, settings: SettingsDep) -> SessionPublic:
    """The session of this cookie, or 401."""
    s = console_session(request)
    if s is None:
        # A cookie without a live session: it ended (idle, too old, or the API restarted).
        why = "session ended" if request.cookies.get(COOKIE) else "not signed in"
        raise HTTPException(401, why, headers=_NO_STORE)
    return _public(s, settings)


async def _sign_in_body(request: Request) -> SignIn:
    return await json_body(request, SignIn)


@router.post("/api/session")
def sign_in(request: Request, response: Response, settings: SettingsDep,
            body: Annotated[SignIn, Depends(_sign_in_body)]) -> SessionPublic:
    """Check the password; on success set the session cookie. Failures are counted per
    username and per client and logged under a pseudonym, never with the password or
    the client's address."""
    limit: SignInLimit = request.app.state.signins
    user_key, client_key = limit.keys(body.username, request.client.host if request.client
                                      else "?")
    wait = limit.wait(user_key, client_key)
    if wait > 0:
        log.warning("sign-in refused for %s: too many failures", pseudonym(body.username))
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"too many failed sign-ins; try again in {math.ceil(wait / 60)} min",
                            headers={"Retry-After": str(math.ceil(wait)), **_NO_STORE})
    accounts: Accounts = request.app.state.accounts
    acc = accounts.verify(body.username, body.password)
    if acc is None:
        limit.failed(user_key, client_key)
        log.warning("failed sign-in for %s", pseudonym(body.username))
        raise HTTPException(401, "wrong username or password", headers=_NO_STORE)
    limit.succeeded(user_key)
    s = _sessions(request).start(acc)
    log.info("%s signed in to the console", pseudonym(acc.username))
    response.set_cookie(COOKIE, s.id, httponly=True, samesite="strict",
                        secure=_secure(request, settings), path="/")
    response.headers.update(_NO_STORE)
    return _public(s, settings)


@router.delete("/api/session", status_code=204, response_class=Response)
def sign_out(request: Request, settings: SettingsDep) -> Response:
    """End the session (its CSRF token required) and clear the cookie."""
    s = console_session(request)
    if s is None:
        raise HTTPException(401, "not signed in")
    require_csrf(request, s)
    _sessions(request).end(s.id)
    out = Response(status_code=204, headers=_NO_STORE)
    out.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                      secure=_secure(request, settings))
    return out
