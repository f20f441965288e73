"""A bundle's secrets, beside its config.json: the node's key and the site's Wi-Fi.

`hubsense node add` flashes them once and never puts them in config.json,
which updates carry over the air: the broker password is derived from the
key (hmac.password), so no file holds it, and Wi-Fi comes from wifi.json.
Loaded at boot by a bundle's config check only.
"""

import json


def fill(raw, at):
    """Put the broker password(s) and Wi-Fi into a config's raw dict, from `at` + files."""
    b = raw["broker"]
    try:
        with open(at + "node.key", "rb") as f:
            key = f.read()
    except OSError:
        raise ValueError("missing key 'broker.password' (and no node.key)") from None
    n = b.get("rotation", 1)
    if isinstance(n, int) and n >= 1:
        from hubsense_node import hmac

        b["password"] = hmac.password(key, n)
        if n > 1:  # while a rotation is delivered the broker may still know the previous one
            b["previous"] = hmac.password(key, n - 1)
    if "wifi" not in raw:
        try:
            with open(at + "wifi.json") as f:
                raw["wifi"] = json.load(f)
        except OSError:
            pass  # the unix port has none; a board says so when the check wants Wi-Fi
