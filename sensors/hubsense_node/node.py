"""The node: samples its inputs, publishes changes at once and everything with each
heartbeat, stamped by its clock (NTP on a board; `synced` is false until then).

One task does it all, and the clock is part of it: on a 32 KB heap each task,
function, class and module costs its share.
"""

import asyncio
import gc
import time
from time import ticks_add, ticks_diff, ticks_ms

from hubsense_node import FW

_SEQ_MASK = 0x7FFFFFFF  # the contract caps seq at 2**31 - 1
# Embedded ports count from 2000-01-01, the unix port from 1970-01-01.
_EPOCH_OFFSET_MS = 946684800000 if time.gmtime(0)[0] == 2000 else 0


class Node:
    """Turns input changes and heartbeats into contract payloads on the outgoing queue."""

    rel = None  # the update release it runs, on a node flashed as a bundle (app.start)

    def __init__(self, cfg, queue, boot, status_topic, rssi=None):
        self.status_topic = status_topic  # …/node/<id>/status: the other topics are beside it
        self._heartbeat_topic = status_topic[:-6] + b"heartbeat"
        self._inputs = []  # type: list
        self._queue = queue
        self._rssi = rssi
        self._ms = (cfg["sample_ms"], cfg["heartbeat_s"] * 1000)  # sample, heartbeat
        self.boot = boot
        self.seq = 0
        self.synced = False  # whether NTP (or the host OS) has set the clock
        self._uptime_ms = 0
        self._ticks = ticks_ms()

    def add(self, inputs):
        """Sample and publish these inputs from now on."""
        for inp in inputs:
            # The topic prefix is not kept for this alone: it is the status topic's.
            inp.topic = b"%sin/%d" % (self.status_topic[:-6], inp.n)
            self._inputs.append(inp)

    def _publish(self, topic, fields):
        if fields is None:
            return  # the input has nothing to say yet
        seq = self.seq
        self.seq = (seq + 1) & _SEQ_MASK
        payload = '{"seq":%d,"ts":%d,"synced":%s,%s}' % (
            seq, time.time_ns() // 1000000 + _EPOCH_OFFSET_MS,
            "true" if self.synced else "false", fields)
        self._queue.put(topic, payload.encode())

    def sample(self, now):
        """Read every input once; publish the ones whose value changed."""
        inputs = self._inputs
        for k in range(len(inputs)):
            inp = inputs[k]
            if inp.update(now):
                self._publish(inp.topic, inp.fields())

    def heartbeat(self):
        """Re-publish every input, then the node's health."""
        now = ticks_ms()
        self._uptime_ms += ticks_diff(now, self._ticks)  # ticks wrap; uptime must not
        self._ticks = now
        for inp in self._inputs:
            self._publish(inp.topic, inp.fields())
        rssi = self._rssi() if self._rssi is not None else None
        rel = self.rel
        self._publish(self._heartbeat_topic,
                      '"boot":"%s","fw":"%s","uptime_s":%d,"heap_free":%d,"drops":%d%s%s' % (
                          self.boot, FW, self._uptime_ms // 1000, gc.mem_free(),
                          self._queue.drops, "" if rssi is None else ',"rssi":%d' % rssi,
                          "" if rel is None else ',"rel":%d' % rel))

    def sync(self, host):
        """Set the clock by NTP where the board has it; else trust a plausible host clock."""
        try:
            import ntptime
        except ImportError:
            # The unix port: the operating system keeps the clock.
            self.synced = time.gmtime()[0] >= 2025
            return
        if host:
            ntptime.host = host
        try:
            ntptime.settime()  # blocks for at most ntptime.timeout (1 s)
            self.synced = True
        except (OSError, OverflowError) as exc:
            print("clock: ntp failed:", exc)

    async def run(self, net, ntp):
        """Sample every `sample_ms` and beat every `heartbeat_s`, from boot on; sync
        the clock while the network is up: every 10 s until it works, then hourly."""
        now = ticks_ms()
        next_sync = next_beat = now
        while True:
            now = ticks_ms()
            if ticks_diff(now, next_sync) >= 0 and (net is None or net.is_up()):
                self.sync(ntp)
                next_sync = ticks_add(now, 3600000 if self.synced else 10000)
            self.sample(now)
            if ticks_diff(now, next_beat) >= 0:
                # Collect between bursts, so that heap_free means something and
                # sampling rarely meets a collection.
                gc.collect()
                self.heartbeat()
                next_beat = ticks_add(now, self._ms[1])
            await asyncio.sleep_ms(self._ms[0])
