"""Wire a node together from config.json and schedule its tasks.

Modules are imported inside functions on purpose: the config checker and this
wiring leave RAM once the tasks run, and each node loads only the logic and
drivers its inputs use (32 KB of heap is the budget).
"""

import asyncio
import gc
import sys


def forget(name):
    """Unload a boot-only module so that its code and data leave the heap."""
    import hubsense_node

    sys.modules.pop("hubsense_node." + name, None)
    if hasattr(hubsense_node, name):
        delattr(hubsense_node, name)


def start(path="config.json", ota=None):
    """Build the node from its config and start its tasks but the MQTT client's;
    return the client's arguments (main.py makes it once this module is gone).

    `ota`: (root, slot, ota.json's state) from the boot loader, or None (no
    updates). With a release to fetch ("get"), the node starts in update mode:
    no inputs, the updater instead (hubsense_node/ota.py)."""
    # Order matters on a 32 KB heap, where fragmentation fails a boot before
    # the bytes run out: the config check runs first, alone; the queue's
    # buffer comes next; the MQTT client last, in the room this code leaves.
    try:
        import network  # noqa: F401

        wifi = True
    except ImportError:
        wifi = False  # the unix port: the host keeps the network up
    from hubsense_node import config

    try:
        cfg = config.load(path, wifi)
    except ValueError as exc:
        print("config error:", exc)
        sys.exit(1)
    del config
    forget("config")
    forget("nodekey")
    forget("hmac")
    # Rebuilt after a collection, the config's objects sit together at the
    # bottom of the heap instead of among the checker's holes.
    import json

    cfg = json.dumps(cfg)
    gc.collect()
    cfg = json.loads(cfg)
    gc.collect()
    b = cfg["broker"]
    ctx = None
    if b["ca"] is not None:
        from hubsense_node import trust

        try:
            ctx = trust.context(b["ca"])
        except ValueError as exc:
            print("config error:", exc)
            sys.exit(1)
        del trust
        forget("trust")
    from hubsense_node.ring import Ring

    # The offline queue's RAM is taken now, so an outage cannot take more.
    queue = Ring(cfg["queue_bytes"])
    net = None
    if wifi:
        from hubsense_node.wifi import WiFiLink

        net = WiFiLink(cfg["wifi"]["ssid"], cfg["wifi"]["password"])
    control = None
    update = ota is not None and "get" in ota[2]
    if update:
        cfg["inputs"] = []  # update mode: the node samples nothing until it reboots
    if cfg["sim"] is None:
        import board

        drivers = board.drivers(cfg)
        del board
        sys.modules.pop("board", None)
    else:
        from hubsense_node.drivers import sim

        drivers = [sim.make(i["measure"]) for i in cfg["inputs"]]
        channels = {i["n"]: d for i, d in zip(cfg["inputs"], drivers)}
        if net is None:
            # Either link has up(), is_up() and rssi(); firmware has no typing.Protocol.
            net = channels["link"] = sim.SimSignal(1)  # type: ignore[assignment]
        control = sim.ControlFile(cfg["sim"]["file"], channels, cfg["sim"]["poll_ms"])
        control.poll()
        del sim, channels
    status = ("hubsense/v1/%s/node/%s/status" % (cfg["site"], cfg["node"])).encode()
    if update:
        # Update mode: no node, no inputs. The MQTT client waits behind the updater's
        # gate (its link and its clock) until the download is done: one TLS session
        # at a time.
        if control is not None:
            asyncio.create_task(control.run())
        from hubsense_node import ota as updater

        gate = updater.start(cfg, ctx, ota, queue, net, status)
        return (b["host"], b["port"], cfg["node"], b["password"], status, queue,
                b["keepalive_s"], tuple(b["backoff_ms"]), gate,
                None if ctx is None else (ctx, b["server_name"] or b["host"], gate), None)
    import binascii
    import os
    from time import ticks_ms

    # A new id each boot lets consumers tell a reboot from lost messages.
    boot = binascii.hexlify(os.urandom(4)).decode()
    from hubsense_node import inputs

    ins = inputs.build(cfg, drivers, ticks_ms(), boot)
    del inputs, drivers
    forget("inputs")
    gc.collect()
    from hubsense_node import FW
    from hubsense_node.node import Node

    node = Node(cfg, queue, boot, status, net.rssi if net is not None else None)
    node.add(ins)
    print("hubsense node %s (%s) fw %s boot %s" % (cfg["node"], cfg["kind"], FW, boot))
    sub = None
    if ota is not None:  # flashed as a bundle: the release it runs, and its offers
        st = ota[2]
        node.rel = st["trial"]["release"] if "trial" in st else st["release"]
        if cfg["ota"] is not None:
            from hubsense_node.inbox import Inbox

            sub = Inbox(cfg, node, ota, queue)
    # The sensors' control file (simulation) is read before the node samples.
    if control is not None:
        asyncio.create_task(control.run())
    asyncio.create_task(node.run(net, cfg["ntp"]))
    # The MQTT client, the last and largest object, is made by main.py once
    # this wiring code has left the heap: these are its arguments. The node's
    # clock gates TLS: certificates are checked against it.
    return (b["host"], b["port"], cfg["node"], b["password"], node.status_topic, queue,
            b["keepalive_s"], tuple(b["backoff_ms"]), net,
            None if ctx is None else (ctx, b["server_name"] or b["host"], node), sub)
