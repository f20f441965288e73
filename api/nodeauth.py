"""Nodes log in to the API as they do to the broker: node id and password (HTTP Basic),
checked against the same hashed node logins (`fleet.node_logins`).

The file is re-read when it changes, so a node added, rotated or removed by
`hubsense node …` is taken (or refused) at its next request, as the broker
takes it at its reload. An unknown login costs the same hash as a known one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from hubsense.passwd import PasswdError, mosquitto_hash, read_passwd, verify

basic = HTTPBasic(auto_error=False, description="a node's login: its id and broker password")
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="hubsense nodes"', "Connection": "close"}
# Checked instead of a real hash for an unknown login: the answer takes as long.
_DECOY = mosquitto_hash("no such node, no such password")


class NodeLogins:
    """The node logins file, read again whenever its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._hashes: dict[str, str] = {}

    def _current(self) -> dict[str, str]:
        try:
            st = self.path.stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._hashes = read_passwd(self.path) if stamp else {}
                except (PasswdError, OSError):
                    self._hashes = {}  # unreadable: nobody gets in, until it is fixed
                self._stamp = stamp
            return self._hashes

    def check(self, user: str, password: str) -> bool:
        hashed = self._current().get(user)
        ok = verify(password, hashed or _DECOY)
        return ok and hashed is not None


def node_logins(request: Request) -> NodeLogins:
    logins: NodeLogins = request.app.state.node_logins
    return logins


def require_node(creds: Annotated[HTTPBasicCredentials | None, Depends(basic)],
                 logins: Annotated[NodeLogins, Depends(node_logins)]) -> str:
    """The node a request comes from (401 without a login the broker would take)."""
    if creds is None or not logins.check(creds.username, creds.password):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a node login is required",
                            headers=_CHALLENGE)
    return creds.username


NodeDep = Annotated[str, Depends(require_node)]
