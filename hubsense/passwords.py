"""What a password or token must be before hubsense will use it, and how hubsense makes one.

Every secret in a deployment (broker logins, staff tokens, the InfluxDB
password) passes `check_secret` when the settings load, so a weak one stops
the service at start-up with the key's name instead of guarding a hub's
network. The rules are deliberately simple: long enough, varied enough, not
a word or a pattern from a how-to, and never a variable a shell or compose
did not expand.
"""

from __future__ import annotations

import math
import re
import secrets
import string

MIN_PASSWORD = 16
MIN_TOKEN = 24
# Guessing by brute force must cost at least this much (bits), by a crude
# estimate: length times log2 of the size of the character classes used.
MIN_BITS = 72
MIN_DISTINCT = 8

# Parts of passwords that come from examples, defaults and keyboards.
_WEAK_PARTS = ("password", "passwort", "lösenord", "losenord", "changeme", "change-me",
               "secret", "admin", "hubsense", "mosquitto", "influx", "grafana", "example",
               "default", "letmein", "welcome", "qwerty", "asdf", "12345", "abcdef",
               "placeholder", "replace", "fixme", "todo", "xxxx", "your-", "your_")
# ${VAR}, $VAR, %VAR%, <value>, {{ var }}: something meant to be substituted.
_UNEXPANDED = re.compile(r"\$\{|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_]+%|<[^>]*>|\{\{")


def strength_bits(value: str) -> float:
    """A crude upper bound of the guessing cost of `value`, in bits."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits]
    pool = sum(len(c) for c in classes if any(ch in c for ch in value))
    if any(not ch.isascii() or not ch.isalnum() for ch in value):
        pool += 32
    return len(value) * math.log2(pool) if pool else 0.0


def check_secret(value: str, min_length: int = MIN_PASSWORD, passphrase: bool = False) -> None:
    """Raise ValueError saying what is wrong with `value` as a secret. A person's
    password may be a `passphrase` of words (spaces between them, none at the ends);
    a service's secret travels through .env files and shells, so it has none."""
    if _UNEXPANDED.search(value):
        raise ValueError("looks like a variable or placeholder that was never filled in")
    if len(value) < min_length:
        raise ValueError(f"is shorter than {min_length} characters")
    if passphrase and value != value.strip():
        raise ValueError("starts or ends with a space")
    allowed = " " if passphrase else ""
    if any((ch.isspace() and ch not in allowed) or not ch.isprintable() for ch in value):
        raise ValueError("contains tabs, line breaks or control characters" if passphrase
                         else "contains spaces or control characters")
    lowered = value.lower()
    weak = next((w for w in _WEAK_PARTS if w in lowered), None)
    if weak is not None:
        raise ValueError(f"contains {weak!r}, which guessing starts with")
    if len(set(value)) < MIN_DISTINCT:
        raise ValueError(f"uses fewer than {MIN_DISTINCT} different characters")
    if strength_bits(value) < MIN_BITS:
        raise ValueError("is too easy to guess: use a longer random secret "
                         "(`hubsense secret` makes one)")


def new_secret(nbytes: int = 24) -> str:
    """A random secret that passes check_secret (URL-safe, no padding)."""
    while True:
        value = secrets.token_urlsafe(nbytes)
        try:
            check_secret(value, MIN_TOKEN)
        except ValueError:
            continue  # a random draw that happens to contain "asdf" or the like
        return value
