"""Staff accounts of the console: a username, roles and an argon2 hash, in one owner-only file.

Roles name what a person does; each maps to the scopes the bearer tokens
already use, so a signed-in person and a script with the same scopes may do
exactly the same. The file holds hashes only (argon2id, the library's
defaults); `hubsense user add|remove|list` edits it, the API re-reads it
when it changes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hubsense.files import write_private
from hubsense.passwords import check_secret

Scope = str
SCOPES: tuple[Scope, ...] = ("nodes:read", "reports:read", "events:write", "checks:write")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class Role(StrEnum):
    VIEWER = "viewer"  # reads the reports
    FACILITY = "facility"  # facility staff: nodes, reports, headcounts
    HUBTEAM = "hubteam"  # the hub team: reports and events
    ADMIN = "admin"  # all of it


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.VIEWER: frozenset({"reports:read"}),
    Role.FACILITY: frozenset({"nodes:read", "reports:read", "checks:write"}),
    Role.HUBTEAM: frozenset({"reports:read", "events:write"}),
    Role.ADMIN: frozenset(SCOPES),
}

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs what a wrong password does.
_DUMMY = _hasher.hash("hubsense-no-such-account")


class AccountError(ValueError):
    """An account that cannot be made or found; the message says why."""


@dataclass(frozen=True)
class Account:
    username: str
    roles: tuple[Role, ...]
    hash: str

    @property
    def scopes(self) -> frozenset[Scope]:
        return frozenset().union(*(ROLE_SCOPES[r] for r in self.roles))


def check_username(name: str) -> str:
    """Return `name` if it is a username (lower case letters, digits, . _ -), else raise."""
    if not USERNAME_RE.fullmatch(name):
        raise AccountError(f"{name!r} is not a username: 1-64 of a-z 0-9 . _ - "
                           "(starting with a letter or digit)")
    return name


class Accounts:
    """The accounts file; every change is written whole and owner-only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._by_name: dict[str, Account] = {}

    def load(self) -> Accounts:
        """Read the file (again) if it changed; a missing file is no accounts."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._by_name = None, {}
            return self
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._by_name = {u["username"]: Account(u["username"],
                                                    tuple(Role(r) for r in u["roles"]), u["hash"])
                             for u in data.get("users", [])}
            self._stamp = stamp
        return self

    def all(self) -> list[Account]:
        return sorted(self.load()._by_name.values(), key=lambda a: a.username)

    def get(self, username: str) -> Account | None:
        return self.load()._by_name.get(username)

    def add(self, username: str, password: str, roles: list[Role], replace: bool = False
            ) -> Account:
        """Create (or with `replace`, change) an account; a weak password is refused."""
        check_username(username)
        if not roles:
            raise AccountError("give at least one role")
        try:
            check_secret(password, passphrase=True)
        except ValueError as exc:
            raise AccountError(f"password {exc}") from None
        if self.get(username) is not None and not replace:
            raise AccountError(f"account {username!r} exists (--replace changes it)")
        acc = Account(username, tuple(dict.fromkeys(roles)), _hasher.hash(password))
        self._save({**self._by_name, username: acc})
        return acc

    def remove(self, username: str) -> None:
        if self.get(username) is None:
            raise AccountError(f"no account {username!r}")
        self._save({k: v for k, v in self._by_name.items() if k != username})

    def verify(self, username: str, password: str) -> Account | None:
        """The account if the password is its own; None otherwise, in about the same time."""
        acc = self.get(username)
        try:
            _hasher.verify(acc.hash if acc else _DUMMY, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return acc

    def _save(self, accounts: dict[str, Account]) -> None:
        users = [{"username": a.username, "roles": [r.value for r in a.roles], "hash": a.hash}
                 for a in sorted(accounts.values(), key=lambda a: a.username)]
        write_private(self.path, json.dumps({"version": 1, "users": users}, indent=2) + "\n")
        self._stamp = None
        self.load()
