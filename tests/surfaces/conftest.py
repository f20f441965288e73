"""Every surface on the morning of tests/morning.py, the screen in the real Chromium."""

from tests.api.conftest import browser
from tests.morning import lived

__all__ = ["browser", "lived"]
