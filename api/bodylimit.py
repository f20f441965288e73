"""A limit on request bodies, enforced while they arrive: 413 without buffering past it.

Pure ASGI (no BaseHTTPMiddleware), so event streams pass through untouched. A
declared Content-Length over the limit is refused before the app runs; a body
without one (chunked) is counted chunk by chunk as the app reads it, and the
read that crosses the limit raises `BodyTooLarge` instead of returning.
"""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """The body passed the limit; FastAPI answers it as JSON like any HTTPException."""

    def __init__(self, limit: int) -> None:
        # Close the connection: otherwise the server keeps reading (and dropping)
        # whatever else the client sends of a body nobody will read.
        super().__init__(413, f"request body larger than {limit} bytes",
                         headers={"Connection": "close"})


class BodyLimit:
    """Refuse (413) request bodies larger than `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self.refuse(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    self.refused += 1
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counted, send)

    async def refuse(self, send: Send) -> None:
        self.refused += 1
        exc = BodyTooLarge(self.max_bytes)
        body = json.dumps({"detail": exc.detail}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we see it
    return None
