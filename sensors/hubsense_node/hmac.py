"""HMAC-SHA256 (RFC 2104) on MicroPython's hashlib, whose hash objects cannot be copied.

The node's update key (`node.key`, 32 bytes) authenticates update manifests and
derives the node's broker password; the server side is Python's `hmac`
(hubsense/nodekey.py), and tests hold the two to the same bytes.
"""

from hashlib import sha256


def _pad(key, byte):
    return bytes(c ^ byte for c in key) + bytes((byte,)) * (64 - len(key))


def start(key):
    """The inner hash, primed with the key: feed it the message with update()."""
    return sha256(_pad(key, 0x36))


def finish(key, inner):
    """The tag of what `inner` was fed (32 bytes)."""
    return sha256(_pad(key, 0x5C) + inner.digest()).digest()


def digest(key, msg):
    """HMAC-SHA256 of `msg` under `key` (at most 64 bytes, as every node key is)."""
    h = start(key)
    h.update(msg)
    return finish(key, h)


def password(key, rotation):
    """The node's broker password for `rotation`: nobody stores it, both sides derive it."""
    from binascii import hexlify

    return hexlify(digest(key, b"hubsense broker password %d" % rotation)).decode()[:40]
