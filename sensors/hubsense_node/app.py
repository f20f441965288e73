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


def _has_wifi():
    try:
        import network  # noqa: F401
    except ImportError:
        return False
    return True


def load_config(path):
    """Return the checked config; print the bad key and exit 1 if it is not valid."""
    from hubsense_node import config

    try:
        cfg = config.load(path, _has_wifi())
    except ValueError as exc:
        print("config error:", exc)
        sys.exit(1)
    del config
    forget("config")
    gc.collect()
    return cfg


def start(path="config.json"):
    """Build the node from its config and create one task per concern."""
    # Order matters for the peak heap: the modules the node keeps load first,
    # into a heap with no holes yet; then each boot-only module is gone before
    # the next step loads its own, and later objects fill the holes it leaves.
    from hubsense_node import FW
    from hubsense_node.clock import Clock
    from hubsense_node.mqtt import Client
    from hubsense_node.node import Node
    from hubsense_node.ring import Ring

    cfg = load_config(path)

    import binascii
    import os
    from time import ticks_ms

    net = None  # the unix port: the host keeps the network up
    if _has_wifi():
        from hubsense_node.wifi import WiFiLink

        net = WiFiLink(cfg["wifi"]["ssid"], cfg["wifi"]["password"])
    control = None
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
    # A new id each boot lets consumers tell a reboot from lost messages.
    boot = binascii.hexlify(os.urandom(4)).decode()
    from hubsense_node import inputs

    ins = inputs.build(cfg, drivers, ticks_ms(), boot)
    del inputs, drivers
    forget("inputs")
    gc.collect()

    clock = Clock()
    queue = Ring(cfg["queue"])
    node = Node(cfg, ins, queue, clock, boot, net.rssi if net is not None else None)
    print("hubsense node %s (%s) fw %s boot %s" % (cfg["node"], cfg["kind"], FW, boot))
    # Keep the few values still needed and drop the config's dicts before the
    # client (the last and largest object) is made.
    b, node_id, ntp = cfg["broker"], cfg["node"], cfg["ntp"]
    del cfg
    gc.collect()
    client = Client(b["host"], b["port"], node_id, b["password"], node.status_topic, queue,
                    b["keepalive_s"], tuple(b["backoff_ms"]), link=net)
    del b
    # Tasks start in this order: the clock first (instant on the unix port),
    # then a first sample, so the boot heartbeat reports real values.
    asyncio.create_task(clock.keep(net, ntp))
    if control is not None:
        asyncio.create_task(control.run())
    asyncio.create_task(client.run())
    asyncio.create_task(node.sample_loop())
    asyncio.create_task(node.heartbeat_loop())
