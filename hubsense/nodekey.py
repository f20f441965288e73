"""A node's update key: what authenticates its updates and derives its broker password.

Each node gets 32 random bytes when it is provisioned (`hubsense node add`),
written to its flash as `node.key` and kept on the server in the node keys
file (docs/security.md). The firmware computes the same two things with its
own HMAC-SHA256 (sensors/hubsense_node/hmac.py): tests hold both to the same
bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_BYTES = 32
# The broker and the API know a node's password only as a hash; the node and
# the fleet commands derive it, so no file anywhere holds it in clear.
PASSWORD_LABEL = b"hubsense broker password %d"


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def password(key: bytes, rotation: int) -> str:
    """The node's broker (and API) password for `rotation` (1, 2, … as it is rotated)."""
    if rotation < 1:
        raise ValueError("rotation counts from 1")
    return hmac.new(key, PASSWORD_LABEL % rotation, hashlib.sha256).hexdigest()[:40]


def tag(key: bytes, body: bytes) -> str:
    """The authentication tag of a manifest's body (hex HMAC-SHA256)."""
    return hmac.new(key, body, hashlib.sha256).hexdigest()
