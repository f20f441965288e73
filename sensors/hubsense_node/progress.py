"""How an update goes, told to staff: `…/node/<id>/update`, QoS 1, through the queue.

A module of its own, loaded for the moment of each report.
"""

import time

# As node.py: embedded ports count from 2000-01-01, the unix port from 1970-01-01.
_EPOCH_OFFSET_MS = 946684800000 if time.gmtime(0)[0] == 2000 else 0


def report(queue, status, release, state, why=None, synced=False):
    """Queue `{"release", "state", "why"}` for the topic beside `status`. `synced`: whether
    NTP set the clock (the contract's field). Its seq is 0: update reports are events in
    time, not a stream whose gaps would mean loss."""
    queue.put(status[:-6] + b"update", (
        '{"seq":0,"ts":%d,"synced":%s,"release":%d,"state":"%s"%s}' % (
            time.time_ns() // 1000000 + _EPOCH_OFFSET_MS,
            "true" if synced else "false", release, state, "" if why is None else
            ',"why":"%s"' % why.replace('"', "'").replace("\\", "/")[:80])).encode())
