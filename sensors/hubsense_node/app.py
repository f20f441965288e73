"""Wire a node together from config.json and run it."""

import asyncio
import binascii
import os
import sys
from time import ticks_ms

from hubsense_node import FW, config, inputs, link
from hubsense_node.clock import Clock
from hubsense_node.mqtt import Client
from hubsense_node.node import Node
from hubsense_node.ring import Ring


def _drivers(cfg):
    if cfg["sim"] is None:
        import board

        return board.drivers(cfg), None
    from hubsense_node.drivers.sim import SIM, ControlFile

    sims = [SIM[i["measure"]]() for i in cfg["inputs"]]
    control = ControlFile(cfg["sim"]["file"], {i["n"]: s for i, s in zip(cfg["inputs"], sims)},
                          cfg["sim"]["poll_ms"])
    return sims, control


async def run(cfg):
    """Start one task per concern and run until the process ends."""
    clock = Clock()
    net = link.make(cfg)
    drivers, control = _drivers(cfg)
    queue = Ring(cfg["queue"])
    # A new id each boot lets consumers tell a reboot from lost messages.
    boot = binascii.hexlify(os.urandom(4)).decode()
    node = Node(cfg, inputs.build(cfg, drivers, ticks_ms(), boot), queue, clock, boot, net.rssi)
    b = cfg["broker"]
    client = Client(b["host"], b["port"], cfg["node"], b["password"], node.status_topic, queue,
                    b["keepalive_s"], tuple(b["backoff_ms"]), link=net)
    print("hubsense node %s (%s) fw %s boot %s" % (cfg["node"], cfg["kind"], FW, boot))
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


def main(path="config.json"):
    """Load the config (exit 1 naming the bad key) and run the node."""
    try:
        cfg = config.load(path, need_wifi=link.has_wifi())
    except config.ConfigError as exc:
        print("config error:", exc)
        sys.exit(1)
    asyncio.run(run(cfg))
