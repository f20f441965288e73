"""The token bucket with a clock the test moves: no sleeping."""

from __future__ import annotations

from api.ratelimit import MAX_CLIENTS, RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _app(scope: object, receive: object, send: object) -> None:  # pragma: no cover
    return None


def test_bucket_allows_per_minute_then_refills() -> None:
    clock = Clock()
    limit = RateLimit(_app, per_minute=60, clock=clock)
    assert all(limit.take("a") == 0 for _ in range(60))
    wait = limit.take("a")
    assert 0.9 < wait <= 1.0, "one token per second at 60/min"
    assert limit.take("b") == 0, "clients have their own buckets"
    clock.now += 1.0
    assert limit.take("a") == 0
    assert limit.take("a") > 0
    clock.now += 3600
    assert all(limit.take("a") == 0 for _ in range(60)), "refills only up to the capacity"
    assert limit.take("a") > 0


def test_client_table_is_bounded_and_evictions_counted() -> None:
    limit = RateLimit(_app, per_minute=10, clock=Clock())
    for i in range(MAX_CLIENTS + 5):
        limit.take(f"10.0.{i // 256}.{i % 256}")
    assert len(limit.buckets) == MAX_CLIENTS
    assert limit.evicted == 5
