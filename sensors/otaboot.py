"""The boot loader's half of updates: which firmware slot to run, and a trial's guard.

Never replaced over the air (a release carries hubsense_node/ and config.json
only), so a broken release cannot break the way back. The node's file system:

    main.py, otaboot.mpy   this loader (stable)
    ota.json               {"slot", "release"}: the kept firmware; "get": a release
                           to fetch (update mode); "trial": {"slot", "release",
                           "rollback_s", "boots"}: staged, on trial; "result":
                           the last update's outcome, reported each boot; "bad":
                           a release refused or rolled back, never taken again
    a/, b/                 slots: hubsense_node/, board.mpy, config.json, ca.der,
                           node.key, wifi.json, manifest (a board's file system each)

A trial gets one boot: a reset before it comes online (a failure while it
starts resets the board: main.py) rolls it back, and so does not coming
online within `rollback_s` (guard, below). What the loader calls in a slot
is the interface every release keeps: `hubsense_node.app.start(path, ota)`
returns the arguments of `hubsense_node.mqtt.Client`, the sixth its
outgoing queue; the client's `run()` keeps it connected, and its `acked`
is 0 or more once the broker took its login. "Online" is that, with the
queue delivered (the trial's own `online` report is in it).
"""

import asyncio
import json
import os
import sys
from time import ticks_diff, ticks_ms


def _save(root, st):
    # As hubsense_node.otastate.save: this loader cannot import a slot's code.
    with open(root + "/ota.json.tmp", "w") as f:
        json.dump(st, f)
    os.rename(root + "/ota.json.tmp", root + "/ota.json")


def reset():
    """Reset the board (the unix port exits with status 3: its harness boots it again)."""
    import machine

    if hasattr(machine, "reset"):
        machine.reset()
    sys.exit(3)


def _back(root, st, why):
    t = st.pop("trial")
    st["bad"] = t["release"]
    st["result"] = {"release": t["release"], "state": "rolled_back", "why": why}
    _save(root, st)
    print("ota: release %d rolled back: %s" % (t["release"], why))


async def guard(ota, client, queue):
    """Keep a trial once it is online; roll it back (and reset) at its bound."""
    root, _slot, st = ota
    bound_s = st["trial"]["rollback_s"]
    t0 = ticks_ms()
    while ticks_diff(ticks_ms(), t0) < bound_s * 1000:
        await asyncio.sleep_ms(250)
        if client.acked >= 0 and not len(queue):
            t = st.pop("trial")
            st["slot"], st["release"] = t["slot"], t["release"]
            st["result"] = {"release": t["release"], "state": "online"}
            st.pop("bad", None)
            _save(root, st)
            print("ota: release %d kept" % t["release"])
            return
    _back(root, st, "not online within %d s" % bound_s)
    reset()


def boot():
    """Enter the slot to run (a trial's, or the kept one); return (root, slot, state)."""
    root = os.getcwd().rstrip("/")  # "" on a board, the node's directory on the unix port
    with open(root + "/ota.json") as f:
        st = json.load(f)
    t = st.get("trial")
    if t is not None and t["boots"]:
        _back(root, st, "reset before it came online")
        t = None
    elif t is not None:
        t["boots"] = 1
        _save(root, st)
    slot = st["slot"] if t is None else t["slot"]
    os.chdir(root + "/" + slot)
    return root, slot, st
