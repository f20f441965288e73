"""Wire a node together from config.json and run it.

Modules are imported inside functions on purpose: the config checker is
dropped from RAM once the config is valid, and each node loads only the
logic and drivers its inputs use (32 KB of heap is the budget).
"""

import asyncio
import gc
import sys


def _forget(name):
    """Unload a boot-only module so that its code and data leave the heap."""
    import hubsense_node

    sys.modules.pop("hubsense_node." + name, None)
    if hasattr(hubsense_node, name):
        delattr(hubsense_node, name)


def _sim_drivers(cfg, net):
    from hubsense_node.drivers.sim import SIM, ControlFile

    sims = [SIM[i["measure"]]() for i in cfg["inputs"]]
    channels = {i["n"]: s for i, s in zip(cfg["inputs"], sims)}
    if hasattr(net, "set"):
        channels["link"] = net
    return sims, ControlFile(cfg["sim"]["file"], channels, cfg["sim"]["poll_ms"])


async def run(cfg):
    """Start one task per concern and run until the process ends."""
    import binascii
    import os
    from time import ticks_ms

    from hubsense_node import FW, inputs, link
    from hubsense_node.clock import Clock
    from hubsense_node.mqtt import Client
    from hubsense_node.node import Node
    from hubsense_node.ring import Ring

    clock = Clock()
    net = link.make(cfg)
    if cfg["sim"] is None:
        import board

        drivers, control = board.drivers(cfg), None
    else:
        drivers, control = _sim_drivers(cfg, net)
    queue = Ring(cfg["queue"])
    # A new id each boot lets consumers tell a reboot from lost messages.
    boot = binascii.hexlify(os.urandom(4)).decode()
    node = Node(cfg, inputs.build(cfg, drivers, ticks_ms(), boot), queue, clock, boot, net.rssi)
    b = cfg["broker"]
    client = Client(b["host"], b["port"], cfg["node"], b["password"], node.status_topic, queue,
                    b["keepalive_s"], tuple(b["backoff_ms"]), link=net)
    print("hubsense node %s (%s) fw %s boot %s" % (cfg["node"], cfg["kind"], FW, boot))
    del inputs
    _forget("inputs")  # only needed to build
    gc.collect()
    if control is not None:
        control.poll()
        asyncio.create_task(control.run())
    # Tasks start in this order: the clock first (instant on the unix port),
    # then a first sample, so the boot heartbeat reports real values.
    asyncio.create_task(_keep_clock(clock, net, cfg["ntp"]))
    asyncio.create_task(client.run())
    asyncio.create_task(node.sample_loop())
    await asyncio.gather(node.heartbeat_loop())


async def _keep_clock(clock, net, host):
    while True:
        try:
            await net.up()
            clock.sync(host)
        except OSError as exc:
            print("clock:", exc)
        # Re-sync hourly; until the first sync succeeds, retry every 10 s.
        await asyncio.sleep(3600 if clock.synced else 10)


def load_config(path):
    """Return the checked config; print the bad key and exit 1 if it is not valid."""
    from hubsense_node import config

    try:
        import network  # noqa: F401

        need_wifi = True
    except ImportError:
        need_wifi = False
    try:
        cfg = config.load(path, need_wifi)
    except config.ConfigError as exc:
        print("config error:", exc)
        sys.exit(1)
    del config
    _forget("config")
    return cfg


def main(path="config.json"):
    """Load the config and run the node."""
    cfg = load_config(path)
    gc.collect()
    asyncio.run(run(cfg))
