"""Moved to hubsense/passwd.py: the API checks node logins against the same file."""

from hubsense.passwd import (  # noqa: F401
    ITERATIONS,
    PasswdError,
    mosquitto_hash,
    read_passwd,
    verify,
    write_passwd,
)
