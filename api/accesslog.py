"""One line per request: method, path without the query, status and duration; never the client.

uvicorn's access log keeps every visitor's address and the whole query string
(where a `?token=` would land), so it is off; this one is opt-in
(`api.access_log`). Pure ASGI, so event streams pass through untouched; a
stream is logged when it ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

MAX_PATH = 200  # characters of a path in the log
# Percent-escape everything else: a path must not forge or break a log line.
_SAFE = "/:@!$&'()*+,;=-._~%"


class AccessLog:
    """Log each HTTP request once it is answered (or has failed: 500)."""

    def __init__(self, app: ASGIApp, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = self.clock()
        status = 500  # unless the app answers: an exception becomes a 500 further out

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            log.info("%s %s %d %.1f ms", scope["method"], logged_path(scope), status,
                     (self.clock() - start) * 1000)


def logged_path(scope: Scope) -> str:
    """The path as sent, without the query string, escaped and cut to MAX_PATH."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    path = quote(raw.split(b"?", 1)[0], safe=_SAFE)
    return path if len(path) <= MAX_PATH else path[:MAX_PATH] + "…"
