"""ota.json, the update state the boot loader and the firmware share; reports; the reset.

The boot loader (otaboot.py, never replaced over the air) keeps its own copy of
`save` and `reset`: it must not run code from a slot it has not chosen yet.
Loaded only while an update is weighed, fetched or reported.
"""

import asyncio
import json
import os
import sys
import time
from time import ticks_diff, ticks_ms

_DRAIN_MS = 10000  # the longest a node waits for its queue to reach the broker
# As node.py: embedded ports count from 2000-01-01, the unix port from 1970-01-01.
_EPOCH_OFFSET_MS = 946684800000 if time.gmtime(0)[0] == 2000 else 0
_seq = 0  # of update reports since this module was loaded (their order, not a count)


def save(root, st):
    """Write ota.json whole, then rename it over the old one: a power cut leaves either."""
    with open(root + "/ota.json.tmp", "w") as f:
        json.dump(st, f)
    os.rename(root + "/ota.json.tmp", root + "/ota.json")


def reset():
    """Reset the board. The unix port has no reset: it exits with status 3, and the
    harness that runs it (devstack.nodes.BundleNode) starts it again, as a board boots."""
    import machine

    if hasattr(machine, "reset"):
        machine.reset()
    sys.exit(3)


async def drain(queue):
    """Give the queue up to _DRAIN_MS to reach the broker (what a reset would lose)."""
    start = ticks_ms()
    while len(queue) and ticks_diff(ticks_ms(), start) < _DRAIN_MS:
        await asyncio.sleep_ms(50)


def progress(queue, status, release, state, why=None, synced=False):
    """Tell staff how an update goes: `…/update` (beside the `status` topic), QoS 1
    through the queue. `synced`: whether the clock is NTP's (the contract's field)."""
    global _seq
    _seq += 1
    queue.put(status[:-6] + b"update", (
        '{"seq":%d,"ts":%d,"synced":%s,"release":%d,"state":"%s"%s}' % (
            _seq, time.time_ns() // 1000000 + _EPOCH_OFFSET_MS, "true" if synced else "false",
            release, state, "" if why is None else ',"why":"%s"' % (
                why.replace('"', "'").replace("\\", "/")[:80]))).encode())
