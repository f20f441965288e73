"""Console sessions in memory, and the limit on failed sign-ins.

A session is a random id in an HttpOnly cookie, a CSRF token the page sends
back on every write, the account's scopes, and two clocks: idle (reset by
what a person does, not by a page refreshing itself) and absolute. Both
tables are bounded; a restart of the API signs everyone out, which is the
safe way round. Time comes from a clock, so tests move it without sleeping.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from hubsense.accounts import Account, Scope
from hubsense.settings import ConsoleSettings

COOKIE = "hubsense_session"
CSRF_HEADER = "x-csrf-token"
# Sent by a page that refreshes itself: such a request does not count as the person's use.
REFRESH_HEADER = "x-hubsense-refresh"


@dataclass
class Session:
    id: str
    username: str
    scopes: frozenset[Scope]
    csrf: str
    started: float
    last_used: float


class Sessions:
    """Sessions by id, the idlest dropped first once `max_sessions` are held."""

    def __init__(self, cfg: ConsoleSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg, self.clock = cfg, clock
        self._lock = threading.Lock()
        self._by_id: OrderedDict[str, Session] = OrderedDict()

    def start(self, acc: Account) -> Session:
        now = self.clock()
        s = Session(secrets.token_urlsafe(32), acc.username, acc.scopes,
                    secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._by_id[s.id] = s
            while len(self._by_id) > self.cfg.max_sessions:
                self._by_id.popitem(last=False)
        return s

    def get(self, ident: str | None, touch: bool = True) -> Session | None:
        """The live session with this id (used now, if `touch`); None if unknown or expired."""
        if not ident:
            return None
        now = self.clock()
        with self._lock:
            s = self._by_id.get(ident)
            if s is None:
                return None
            if (now - s.last_used > self.cfg.idle_timeout_s
                    or now - s.started > self.cfg.session_max_h * 3600):
                del self._by_id[ident]
                return None
            if touch:
                s.last_used = now
                self._by_id.move_to_end(ident)
            return s

    def end(self, ident: str) -> None:
        with self._lock:
            self._by_id.pop(ident, None)

    def end_user(self, username: str) -> None:
        """Sign an account out everywhere (it was removed or its roles changed)."""
        with self._lock:
            for k in [k for k, s in self._by_id.items() if s.username == username]:
                del self._by_id[k]


def pseudonym(username: str) -> str:
    """How a log names a sign-in's username: a short hash, never the text (a password
    typed in the wrong box would otherwise land in the log)."""
    return "user-" + hashlib.sha256(username.encode()).hexdigest()[:10]


MAX_KEYS = 10_000


@dataclass
class _Failures:
    times: deque[float] = field(default_factory=deque)


class SignInLimit:
    """Failed sign-ins per username and per client in a sliding window; bounded."""

    def __init__(self, cfg: ConsoleSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg, self.clock = cfg, clock
        self._lock = threading.Lock()
        self._by_key: OrderedDict[str, _Failures] = OrderedDict()

    @staticmethod
    def keys(username: str, client: str) -> tuple[str, str]:
        # Hashed: the table holds neither usernames as typed nor addresses.
        return (pseudonym(username), "client-" + hashlib.sha256(client.encode()).hexdigest())

    def wait(self, *keys: str) -> float:
        """Seconds until another try is allowed for every key (0: now)."""
        now = self.clock()
        window = self.cfg.failure_window_s
        out = 0.0
        with self._lock:
            for k in keys:
                f = self._by_key.get(k)
                if f is None:
                    continue
                while f.times and now - f.times[0] >= window:
                    f.times.popleft()
                if len(f.times) >= self.cfg.max_failures:
                    out = max(out, f.times[0] + window - now)
        return out

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for k in keys:
                f = self._by_key.pop(k, None) or _Failures()
                f.times.append(now)
                while len(f.times) > self.cfg.max_failures:
                    f.times.popleft()
                self._by_key[k] = f
            while len(self._by_key) > MAX_KEYS:
                self._by_key.popitem(last=False)

    def succeeded(self, username_key: str) -> None:
        with self._lock:
            self._by_key.pop(username_key, None)
