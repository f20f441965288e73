"""Who may use the staff API: a bearer token with scopes (scripts), or a console session
(people) with the same scopes and a CSRF token on every write. 401 without either, 403
without the scope or, for a session's write, without its CSRF token."""

# No `from __future__ import annotations`: the closure's annotation must be evaluated
# where `scope` is in reach, or FastAPI cannot resolve it.

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SettingsDep
from api.sessions import COOKIE, CSRF_HEADER, REFRESH_HEADER, Session
from hubsense.accounts import Accounts

bearer = HTTPBearer(auto_error=False, description="a staff token from the API config")

# A refused request may still be sending a body: end the connection with the
# answer, so the server does not go on reading (and discarding) the rest of it.
_CLOSE = {"Connection": "close"}
_CHALLENGE = {"WWW-Authenticate": "Bearer", **_CLOSE}


def require_scope(scope: str) -> Callable[..., str]:
    """Build a dependency that admits a token holding `scope`; returns the holder's name.

    `Security(…, scopes=…)` puts the scope in each operation's OpenAPI security
    requirement, so the spec says which scope a route wants (and the auth tests
    find every staff route there).
    """

    def check(request: Request, settings: SettingsDep,
              creds: Annotated[HTTPAuthorizationCredentials | None,
                               Security(bearer, scopes=[scope])]) -> str:
        if creds is None and (session := console_session(request)) is not None:
            if scope not in session.scopes:
                raise HTTPException(status.HTTP_403_FORBIDDEN,
                                    f"this account lacks the '{scope}' scope", headers=_CLOSE)
            require_csrf(request, session)
            return session.username
        if creds is None or creds.scheme.lower() != "bearer":
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a bearer token is required",
                                headers=_CHALLENGE)
        given = creds.credentials.encode()
        holder = None
        for token in settings.api.tokens:  # compare all, in constant time each
            if hmac.compare_digest(given, token.token.get_secret_value().encode()):
                holder = token
        if holder is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown token",
                                headers=_CHALLENGE)
        if scope not in holder.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this token lacks the '{scope}' scope",
                                headers=_CLOSE)
        return holder.name

    return check


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def console_session(request: Request) -> Session | None:
    """The signed-in session of this request's cookie, if it is live and its account still
    exists with the same scopes (a removed account is signed out at its next request)."""
    sessions = request.app.state.sessions
    refresh = request.headers.get(REFRESH_HEADER) == "1"
    session: Session | None = sessions.get(request.cookies.get(COOKIE), touch=not refresh)
    if session is None:
        return None
    accounts: Accounts = request.app.state.accounts
    acc = accounts.get(session.username)
    if acc is None or acc.scopes != session.scopes:
        sessions.end_user(session.username)
        return None
    return session


def require_csrf(request: Request, session: Session) -> None:
    """Refuse (403) a session's write whose X-CSRF-Token is not the session's own."""
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(given.encode(), session.csrf.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token; reload "
                                                       "the page", headers=_CLOSE)
