"""Node inputs: a driver plus the logic that turns its readings into a reported value."""

from hubsense_node.presence import Presence


class PresenceInput:
    """A desk or zone that is occupied or free."""

    def __init__(self, n, driver, settle_ms, hold_ms, now=0):
        self.n = n
        self.topic = b""
        self._driver = driver
        self._logic = Presence(settle_ms, hold_ms, now)

    def update(self, now):
        return self._logic.update(self._driver.value(), now)

    def fields(self):
        return '"present":true' if self._logic.present else '"present":false'


def build(cfg, drivers, now):
    """One input per configured input, each on its driver."""
    out = []
    for k, inp in enumerate(cfg["inputs"]):
        m = inp["measure"]
        if m == "presence":
            out.append(PresenceInput(inp["n"], drivers[k], inp["settle_ms"],
                                     inp["hold_s"] * 1000, now))
        else:
            raise ValueError("input %d: %s is not supported yet" % (inp["n"], m))
    return out
