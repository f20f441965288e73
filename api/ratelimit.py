"""Per-client rate limit on the public API: a token bucket per client address.

Pure ASGI (no BaseHTTPMiddleware) so event streams pass through untouched and
the hot path stays cheap. The table of clients is bounded; the oldest entry
is evicted first and evictions are counted.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from api.routes import PREFIX

MAX_CLIENTS = 10_000


class RateLimit:
    """Refuse with 429 once a client has used its per-minute allowance on `prefix`."""

    def __init__(self, app: ASGIApp, per_minute: int, prefix: str = PREFIX + "/",
                 exempt: tuple[str, ...] = (),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self.prefix = prefix
        self.exempt = exempt
        self.clock = clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.refused = 0
        self.evicted = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or not scope["path"].startswith(self.prefix)
                or scope["path"] in self.exempt):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.take(client[0] if client else "?")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        self.refused += 1
        body = json.dumps({"detail": "too many requests from this client; "
                                     f"retry in {math.ceil(wait)} s"}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"retry-after", str(math.ceil(wait)).encode()),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def take(self, key: str) -> float:
        """Take one token for `key`; return 0, or the seconds until one is available."""
        now = self.clock()
        tokens, then = self.buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - then) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self.buckets[key] = (tokens, now)
        if len(self.buckets) > MAX_CLIENTS:
            self.buckets.popitem(last=False)
            self.evicted += 1
        return wait
