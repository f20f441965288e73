"""Updates, on a node flashed as a bundle: once online, and when an offer comes.

Loaded for those moments only (the resident part is the MQTT client's inbox).
"""

import json
import sys

from hubsense_node.otastate import drain, progress, reset, save


def _forget():
    import hubsense_node

    for name in ("otawire", "otastate"):
        sys.modules.pop("hubsense_node." + name, None)
        if hasattr(hubsense_node, name):
            delattr(hubsense_node, name)


def online(inbox):
    """Subscribed, so online: report the last update's outcome (each boot until the next
    update), or that a trial is online (the boot loader keeps it now)."""
    st, node = inbox.ota[2], inbox.node
    if "trial" in st:
        progress(inbox.queue, node.status_topic, st["trial"]["release"], "online", None,
                 node.synced)
    elif "result" in st:
        r = st["result"]
        progress(inbox.queue, node.status_topic, r["release"], r["state"], r.get("why"),
                 node.synced)
    _forget()


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
            or retained and r == st.get("failed") or "trial" in st or "get" in st):
        _forget()  # nothing to do: leave RAM again
        return
    print("ota: release %d offered; rebooting to fetch it" % r)
    st["get"] = r
    progress(inbox.queue, node.status_topic, r, "downloading", None, node.synced)
    await drain(inbox.queue)
    save(root, st)
    reset()
