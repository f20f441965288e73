"""Station-mode Wi-Fi for boards that have it."""

import asyncio


class WiFiLink:
    """Station-mode Wi-Fi, (re)joined without blocking the other tasks."""

    def __init__(self, ssid, password, timeout_ms=20000):
        import network

        self._wlan = network.WLAN(network.STA_IF)
        self._ssid = ssid
        self._password = password
        self._timeout_ms = timeout_ms

    def is_up(self):
        return self._wlan.isconnected()

    async def up(self):
        """Join, if not joined; only the MQTT task asks (the clock waits for is_up())."""
        w = self._wlan
        if w.isconnected():
            return
        w.active(True)
        w.connect(self._ssid, self._password)
        waited = 0
        while not w.isconnected():
            if waited >= self._timeout_ms:
                w.disconnect()
                raise OSError("wifi: cannot join %s" % self._ssid)
            await asyncio.sleep_ms(200)
            waited += 200

    def rssi(self):
        try:
            return self._wlan.status("rssi") if self._wlan.isconnected() else None
        except (OSError, ValueError):
            return None
