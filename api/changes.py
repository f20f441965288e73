"""Wake stream clients when the live state changes, without a queue per client.

Each client re-reads the latest snapshot when woken, so a slow client skips
intermediate states instead of buffering them: memory stays bounded however
many screens are connected.
"""

from __future__ import annotations

import asyncio


class Changes:
    """An asyncio event that is replaced each time it fires."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event = asyncio.Event()
        self.closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def notify_threadsafe(self) -> None:
        """Fire from any thread (the MQTT thread calls this)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._fire)

    def _fire(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def current(self) -> asyncio.Event:
        """Take the event to wait on *before* reading the state, so no change is missed."""
        return self._event

    def close(self) -> None:
        """End every stream (server shutdown): browsers reconnect to the next instance."""
        self.closed = True
        self._fire()
