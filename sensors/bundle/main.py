"""Boot entry of a node flashed as a bundle (`hubsense node add`): never replaced over the air.

otaboot.py, beside it, picks the firmware slot (ota.json) and leaves RAM again,
unless the slot is a trial: then it stays to guard it (rolled back unless it
comes online in time), and a trial that fails while it starts resets the board,
which rolls it back. (sensors/main.py is the entry of a node flashed by hand,
from one directory, without updates.) What this calls in a slot is the
interface every release keeps: otaboot.py says what it is.
"""

import asyncio
import gc
import sys

import otaboot

ota = otaboot.boot()
trial = "trial" in ota[2]
if not trial:
    del otaboot
    sys.modules.pop("otaboot")
gc.collect()
try:
    from hubsense_node import app

    args = app.start("config.json", ota)
    # As main.py does: the MQTT client is made in the room the wiring leaves.
    app.forget("app")
    del app
    gc.collect()
    from hubsense_node.mqtt import Client

    client = Client(*args)
    asyncio.create_task(client.run())
    if trial:
        asyncio.create_task(otaboot.guard(ota, client, args[5]))
    del args, client, Client
    gc.collect()
except (Exception, SystemExit) as exc:  # a config error exits
    if not trial:
        raise
    print("ota: the trial failed to start:", repr(exc))
    otaboot.reset()  # the next boot rolls it back
asyncio.get_event_loop().run_forever()
