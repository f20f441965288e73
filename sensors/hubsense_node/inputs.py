"""Build a node's inputs; each measure's module is imported only if a node uses it.

Each input has `n`, `topic`, `update(now)` (sample once; True when its value
should be published now) and `fields()` (its value as the contract's JSON
fields, or None while it has nothing to say).
"""


def build(cfg, drivers, now, boot):
    """One input per configured input, each on its driver."""
    out = []  # type: list
    for k, inp in enumerate(cfg["inputs"]):
        m, n, d = inp["measure"], inp["n"], drivers[k]
        if m == "presence":
            from hubsense_node.presence import Presence

            out.append(Presence(n, d, inp["settle_ms"], inp["hold_s"] * 1000, now))
        elif m == "count":
            from hubsense_node.count import Count

            out.append(Count(n, d, inp["settle_ms"], now))
        elif m == "sound":
            from hubsense_node.sound import Sound

            out.append(Sound(n, d, inp["offset_db"], inp["interval_s"] * 1000, now))
        else:
            from hubsense_node.passage import Doorway

            out.append(Doorway(n, d, boot))
    return out
