"""The site CA a node trusts: the only certificates it accepts from the broker.

A module of its own, loaded only by a node with `broker.ca` and unloaded once
the context is made: a plain node's heap carries none of this code.
"""

import tls


def context(path):
    """A TLS client context that requires the broker's certificate (CERT_REQUIRED) to
    chain to the site CA in `path` (DER); ValueError names the config key.

    The context (about 3 KB of heap, for good) is made once at boot and
    serves every reconnect; mbedTLS keeps its own copy of the CA."""
    try:
        with open(path, "rb") as f:
            ca = f.read()
        ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
        # The default for a client already; said here because it is the point.
        # (The ESP32 stubs, made from dir(), miss this attribute.)
        ctx.verify_mode = tls.CERT_REQUIRED  # type: ignore[attr-defined]
        ctx.load_verify_locations(ca)
    except (OSError, ValueError) as exc:
        raise ValueError("key 'broker.ca': cannot load %s: %s" % (path, exc)) from None
    return ctx
