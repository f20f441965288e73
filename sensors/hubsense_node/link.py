"""The node's network link: the host's on the unix port, Wi-Fi on a board."""

import asyncio


class HostLink:
    """The unix port: the host keeps the network up, unless a simulation cuts it."""

    def __init__(self):
        self.cut = False  # set by the sim control file's `link=0` line

    def is_up(self):
        return not self.cut

    async def up(self):
        while self.cut:
            await asyncio.sleep_ms(100)

    def set(self, v):
        self.cut = not v

    def rssi(self):
        return None


def make(cfg):
    """Wi-Fi where the board has it, else the host's network."""
    try:
        import network  # noqa: F401
    except ImportError:
        return HostLink()
    from hubsense_node.wifi import WiFiLink

    w = cfg["wifi"]
    return WiFiLink(w["ssid"], w["password"])

