"""The dashboards are checked on the morning every surface lives through (tests/morning.py)."""

from tests.morning import lived

__all__ = ["lived"]
