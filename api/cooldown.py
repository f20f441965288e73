"""Once per client and zone in a while: one person cannot stuff the feedback count.

Clients are told apart by a keyed hash of their address and the zone, under a
key made at start-up and held only in memory: the table never holds an
address, is forgotten on restart, and entries go once their time is up. It is
bounded; when full the oldest entry goes first, and that is counted.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_ENTRIES = 10_000


class Cooldown:
    """Let a (client, zone) through once per `seconds`."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._until: OrderedDict[bytes, float] = OrderedDict()  # in expiry order
        self.evicted = 0

    def _id(self, client: str, zone: str) -> bytes:
        return hashlib.blake2b(f"{client}\n{zone}".encode(), key=self._key,
                               digest_size=16).digest()

    def take(self, client: str, zone: str) -> float:
        """Note the client speaking about the zone: 0, or the seconds left to wait."""
        if self.seconds <= 0:
            return 0.0
        now = self.clock()
        ident = self._id(client, zone)
        with self._lock:
            while self._until and next(iter(self._until.values())) <= now:
                self._until.popitem(last=False)
            until = self._until.get(ident)
            if until is not None:
                return until - now
            self._until[ident] = now + self.seconds
            if len(self._until) > MAX_ENTRIES:
                self._until.popitem(last=False)
                self.evicted += 1
            return 0.0

    def release(self, client: str, zone: str) -> None:
        """Forget a take whose press was not counted after all (the database did not answer)."""
        with self._lock:
            self._until.pop(self._id(client, zone), None)
