"""Wall-clock milliseconds since the Unix epoch, and whether they can be trusted."""

import time

# Embedded ports count from 2000-01-01, the unix port from 1970-01-01.
_EPOCH_OFFSET_MS = 946684800000 if time.gmtime(0)[0] == 2000 else 0
_PLAUSIBLE_YEAR = 2025


class Clock:
    """Node clock; `synced` says whether NTP (or the host OS) has set it."""

    def __init__(self):
        self.synced = False

    def ms(self):
        return time.time_ns() // 1000000 + _EPOCH_OFFSET_MS

    def sync(self, host=None):
        """Set the clock by NTP where the board has it; else trust a plausible host clock."""
        try:
            import ntptime
        except ImportError:
            # The unix port: the operating system keeps the clock.
            self.synced = time.gmtime()[0] >= _PLAUSIBLE_YEAR
            return self.synced
        if host:
            ntptime.host = host
        try:
            ntptime.settime()  # blocks for at most ntptime.timeout (1 s)
            self.synced = True
        except (OSError, OverflowError) as exc:
            print("clock: ntp failed:", exc)
        return self.synced

    async def keep(self, net, host):
        """Sync once the network is up, then hourly; retry every 10 s until it works."""
        import asyncio

        while True:
            try:
                if net is not None:
                    await net.up()
                self.sync(host)
            except OSError as exc:
                print("clock:", exc)
            await asyncio.sleep(3600 if self.synced else 10)
