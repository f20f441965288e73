"""Bearer tokens with scopes for the staff API: 401 without a valid token, 403 without the scope."""

# No `from __future__ import annotations`: the closure's annotation must be evaluated
# where `scope` is in reach, or FastAPI cannot resolve it.

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import HTTPException, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SettingsDep

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

    def check(settings: SettingsDep,
              creds: Annotated[HTTPAuthorizationCredentials | None,
                               Security(bearer, scopes=[scope])]) -> str:
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
