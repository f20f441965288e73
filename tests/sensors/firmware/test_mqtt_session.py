"""The MQTT client's session start, without a broker."""

import asyncio

import tls
from hubsense_node.mqtt import Client
from hubsense_node.ring import Ring


class Clock:
    """The node's clock as the client sees it: `synced` once NTP has set it."""

    synced = False


def test_tls_waits_for_a_synced_clock_before_it_connects():
    # A board's clock reads 2000-01-01 until NTP sets it, and mbedTLS would
    # refuse every certificate as not yet valid: no socket before then.
    clock = Clock()
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    c = Client("127.0.0.1", 9, "desk-q1", "pw", b"t", Ring(64), tls=(ctx, "h", clock))

    async def session():
        try:
            await c._session()
        except OSError:  # nothing listens on port 9: the attempt is what counts
            pass

    async def main():
        task = asyncio.create_task(session())
        await asyncio.sleep_ms(300)
        assert c._sock is None, "connected before the clock was set"
        clock.synced = True
        await asyncio.sleep_ms(100)
        assert c._sock is not None, "still waiting with the clock set"
        await task

    asyncio.run(main())
