"""Names people type that others then read: on the screen, in reports, in a spreadsheet.

Control characters (C0, DEL, C1) can hide or break text and terminals; the
Unicode bidi controls (Trojan Source, CVE-2021-42574) make text read in a
different order than it is stored. Neither has a place in a zone or event name.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain_name(text: str) -> str:
    """Return `text`, or refuse it when it holds a control or bidi control character."""
    found = _REFUSED.search(text)
    if found:
        raise ValueError(f"must not contain control or bidi control characters "
                         f"(U+{ord(found[0]):04X} at position {found.start() + 1})")
    return text


PlainName = Annotated[str, AfterValidator(plain_name)]
