"""Every surface on the morning of tests/morning.py, the screen in the real Chromium."""

from tests.morning import lived

__all__ = ["lived"]
