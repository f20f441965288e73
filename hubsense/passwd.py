"""Mosquitto's password file, written without `mosquitto_passwd`, and checked by the API.

Mosquitto 2.0 stores `user:$7$<iterations>$<salt>$<hash>`: PBKDF2-HMAC-SHA512
over a 12-byte salt, base64 (what `mosquitto_passwd` writes). Writing it here
lets `hubsense` make logins where Mosquitto is not installed (the compose
init container, an operator's laptop). The iteration count is Mosquitto's own
default: every password hubsense makes is a random secret of 144 bits or more,
which no amount of key stretching would make stronger.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from pathlib import Path

from hubsense.files import write_private

ITERATIONS = 101
_LINE_RE = re.compile(r"^([^:\s]{1,64}):(\$7\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+)$")


class PasswdError(ValueError):
    """A password file line hubsense cannot use; the message names file and line."""


def mosquitto_hash(password: str, salt: bytes | None = None,
                   iterations: int = ITERATIONS) -> str:
    """Hash `password` as mosquitto_passwd does."""
    salt = os.urandom(12) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return (f"$7${iterations}${base64.b64encode(salt).decode()}$"
            f"{base64.b64encode(digest).decode()}")


def verify(password: str, hashed: str) -> bool:
    """True if `hashed` (a `$7$` entry) is the hash of `password`."""
    try:
        _, alg, it, salt, digest = hashed.split("$")
        want = base64.b64decode(digest)
        got = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt), int(it))
    except ValueError:
        return False
    return alg == "7" and hmac.compare_digest(want, got)


def read_passwd(path: Path) -> dict[str, str]:
    """Read `user:hash` lines (blank lines and # comments allowed)."""
    out: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return out
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        m = _LINE_RE.match(line.strip())
        if not m:
            raise PasswdError(f"{path}:{n}: not a 'user:$7$…' line made by mosquitto_passwd "
                              f"or hubsense")
        if m[1] in out:
            raise PasswdError(f"{path}:{n}: login '{m[1]}' appears twice")
        out[m[1]] = m[2]
    return out


def write_passwd(path: Path, hashed: Mapping[str, str]) -> Path:
    """Write `user:hash` lines, owner-only."""
    return write_private(path, "".join(f"{u}:{h}\n" for u, h in sorted(hashed.items())))
