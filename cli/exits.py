"""How a set-up command ends on an error its user can fix: exit 2, with the message."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

Command = Callable[[argparse.Namespace], int]


def fixable(*errors: type[Exception]) -> Callable[[Command], Command]:
    """Wrap a command so that `errors` (and ValueError, OSError) exit 2 with the message."""

    caught: tuple[type[Exception], ...] = (ValueError, OSError, *errors)

    def wrap(fn: Command) -> Command:
        def run(args: argparse.Namespace) -> int:
            try:
                return fn(args)
            except BrokenPipeError:
                raise  # the reader went away (`| head`): not the user's error to fix
            except caught as exc:
                print(f"hubsense: {exc}", file=sys.stderr)
                return 2

        return run

    return wrap
