"""An update offered to a node flashed as a bundle: weighed, and taken or not.

Loaded for the moment (the resident part is the MQTT client's inbox).
"""

import json
import sys

from hubsense_node.otastate import drain, reset, save
from hubsense_node.progress import report


def _forget():
    import hubsense_node

    for name in ("otawire", "otastate", "progress"):
        sys.modules.pop("hubsense_node." + name, None)
        if hasattr(hubsense_node, name):
            delattr(hubsense_node, name)


async def offered(inbox, payload, retained):
    """Weigh an offer (`{"release": n, ...}`; `retained`: its copy sent on subscribing):
    take a newer release that was not refused or rolled back before, one whose
    download failed only when offered anew. Taking it means: say so, let the queue
    drain, and reboot into update mode."""
    node = inbox.node
    root, _slot, st = inbox.ota
    try:
        r = json.loads(payload)["release"]
    except (ValueError, KeyError, TypeError):
        r = None
        print("ota: offer ignored: not {\"release\": n}")
    if (not isinstance(r, int) or r <= node.rel or r == st.get("bad")
            or (retained and r == st.get("failed")) or "trial" in st or "get" in st):
        _forget()  # nothing to do: leave RAM again
        return
    print("ota: release %d offered; rebooting to fetch it" % r)
    st["get"] = r
    report(inbox.queue, node.status_topic, r, "downloading", None, node.synced)
    await drain(inbox.queue)
    save(root, st)
    reset()
