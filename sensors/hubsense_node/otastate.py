"""ota.json, the update state the boot loader and the firmware share; the reset.

The boot loader (otaboot.py, never replaced over the air) keeps its own copy of
`save` and `reset`: it must not run code from a slot it has not chosen yet.
Loaded only while an update is taken or fetched.
"""

import asyncio
import json
import os
import sys
from time import ticks_diff, ticks_ms

_DRAIN_MS = 10000  # the longest a node waits for its queue to reach the broker


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
