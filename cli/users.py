"""`hubsense user add|remove|list`: the staff console's accounts (console.users_file)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from hubsense.accounts import ROLE_SCOPES, AccountError, Accounts, Role
from hubsense.settings import load_settings


def _accounts(args: argparse.Namespace) -> Accounts:
    return Accounts(load_settings(args.config).console.users_file)


def _password(args: argparse.Namespace) -> str:
    """From standard input with --password-stdin (scripts), else asked twice (never argv)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password (16+ characters): ")
    if getpass.getpass("again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def _add(args: argparse.Namespace) -> int:
    acc = _accounts(args).add(args.username, _password(args), [Role(r) for r in args.role],
                              replace=args.replace)
    print(f"account {acc.username} saved: {', '.join(acc.roles)} "
          f"({' '.join(sorted(acc.scopes))})")
    return 0


def _remove(args: argparse.Namespace) -> int:
    _accounts(args).remove(args.username)
    print(f"account {args.username} removed (its sessions end at their next request)")
    return 0


def _list(args: argparse.Namespace) -> int:
    for acc in _accounts(args).all():
        print(f"{acc.username:<24} {','.join(acc.roles):<24} {' '.join(sorted(acc.scopes))}")
    return 0


def _guard(fn: Any) -> Any:
    def go(args: argparse.Namespace) -> int:
        try:
            return int(fn(args))
        except AccountError as exc:
            print(f"hubsense: {exc}", file=sys.stderr)
            return 2

    return go


def register(sub: Any) -> None:
    """Add `user` to the `hubsense` subcommands."""
    roles = ", ".join(f"{r.value} ({' '.join(sorted(ROLE_SCOPES[r]))})" for r in Role)
    user = sub.add_parser("user", help="staff console accounts")
    usub = user.add_subparsers(dest="user", required=True)
    add = usub.add_parser("add", help=f"create a staff account; roles: {roles}")
    add.add_argument("username")
    add.add_argument("--role", action="append", required=True,
                     choices=[r.value for r in Role], help="repeat for several")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.add_argument("--replace", action="store_true", help="change an existing account")
    add.set_defaults(fn=_guard(_add))
    rm = usub.add_parser("remove", help="remove a staff account")
    rm.add_argument("username")
    rm.set_defaults(fn=_guard(_remove))
    ls = usub.add_parser("list", help="staff accounts and their scopes (never hashes)")
    ls.set_defaults(fn=_guard(_list))
    for p in (add, rm, ls):
        p.add_argument("-c", "--config", help="TOML config file (or HUBSENSE_CONFIG)")
