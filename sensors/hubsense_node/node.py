"""The node: samples its inputs, publishes changes at once and everything with each heartbeat."""

import asyncio
import gc
from time import ticks_diff, ticks_ms

from hubsense_node import FW

_SEQ_MASK = 0x7FFFFFFF  # the contract caps seq at 2**31 - 1


class Node:
    """Turns input changes and heartbeats into contract payloads on the outgoing queue."""

    def __init__(self, cfg, inputs, queue, clock, boot, rssi=None):
        base = "hubsense/v1/%s/node/%s/" % (cfg["site"], cfg["node"])
        self.status_topic = (base + "status").encode()
        self._heartbeat_topic = (base + "heartbeat").encode()
        for inp in inputs:
            inp.topic = ("%sin/%d" % (base, inp.n)).encode()
        self._inputs = inputs
        self._queue = queue
        self._clock = clock
        self._rssi = rssi
        self._sample_ms = cfg["sample_ms"]
        self._heartbeat_ms = cfg["heartbeat_s"] * 1000
        self.boot = boot
        self.seq = 0
        self._uptime_ms = 0
        self._ticks = ticks_ms()

    def _publish(self, topic, fields):
        seq = self.seq
        self.seq = (seq + 1) & _SEQ_MASK
        payload = '{"seq":%d,"ts":%d,"synced":%s,%s}' % (
            seq, self._clock.ms(), "true" if self._clock.synced else "false", fields)
        self._queue.put((topic, payload.encode(), False))

    def sample(self, now):
        """Read every input once; publish the ones whose value changed."""
        inputs = self._inputs
        for k in range(len(inputs)):
            inp = inputs[k]
            if inp.update(now):
                self._publish_input(inp)

    def _publish_input(self, inp):
        fields = inp.fields()
        if fields is not None:
            self._publish(inp.topic, fields)

    def heartbeat(self):
        """Re-publish every input, then the node's health."""
        now = ticks_ms()
        self._uptime_ms += ticks_diff(now, self._ticks)  # ticks wrap; uptime must not
        self._ticks = now
        for inp in self._inputs:
            self._publish_input(inp)
        rssi = self._rssi() if self._rssi is not None else None
        self._publish(self._heartbeat_topic,
                      '"boot":"%s","fw":"%s","uptime_s":%d,"heap_free":%d,"drops":%d%s' % (
                          self.boot, FW, self._uptime_ms // 1000, gc.mem_free(),
                          self._queue.drops, "" if rssi is None else ',"rssi":%d' % rssi))

    async def sample_loop(self):
        while True:
            self.sample(ticks_ms())
            await asyncio.sleep_ms(self._sample_ms)

    async def heartbeat_loop(self):
        while True:
            # Collect between bursts, so that heap_free means something and the
            # sampling loop rarely meets a collection.
            gc.collect()
            self.heartbeat()
            await asyncio.sleep_ms(self._heartbeat_ms)
