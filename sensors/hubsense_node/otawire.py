"""Updates wired into a node flashed as a bundle: at boot, and when an offer comes.

Loaded for those moments only; the resident part is the MQTT client's inbox.
"""

import asyncio
import json
import sys

from hubsense_node.otastate import drain, progress, reset, save


def wire(cfg, ctx, ota, node, queue):
    """At boot: note the release the node runs, report the last update's outcome, and
    start the updater (update mode) or listen for offers; return the MQTT client's
    inbox, if any."""
    st = ota[2]
    node.rel = st["trial"]["release"] if "trial" in st else st["release"]
    if cfg["ota"] is None:
        return None  # no update URL: it runs its release and takes no other
    if "trial" in st:  # delivered once online, which is when the boot loader keeps it
        progress(node, node.rel, "online")
    elif "result" in st:  # the last update's outcome, said each boot until the next one
        r = st["result"]
        progress(node, r["release"], r["state"], r.get("why"))
    if "get" in st:
        from hubsense_node import ota as update

        asyncio.create_task(update.run(cfg, ctx, ota, node, queue))
        return None
    b, login = cfg["broker"], None
    if b["previous"] is not None:
        from hubsense_node.mqtt import connect_packet

        login = connect_packet(cfg["node"], b["previous"], node.status_topic, b["keepalive_s"])
    from hubsense_node.inbox import Inbox

    return Inbox(b"%sota" % node.status_topic[:-6], node, ota, queue, login)


def _forget():
    import hubsense_node

    for name in ("otawire", "otastate"):
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
            or retained and r == st.get("failed") or "trial" in st or "get" in st):
        _forget()  # nothing to do: leave RAM again
        return
    print("ota: release %d offered; rebooting to fetch it" % r)
    st["get"] = r
    progress(node, r, "downloading")
    await drain(inbox.queue)
    save(root, st)
    reset()
