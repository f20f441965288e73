"""Boot entry of a hubsense node: run the node described by config.json."""

import asyncio
import gc

from hubsense_node import app

client = app.start("config.json")
# The wiring is done and the tasks hold all that runs: free the wiring's RAM,
# then make the MQTT client (the last and largest object) in the room it leaves.
app.forget("app")
del app
gc.collect()
from hubsense_node.mqtt import Client  # noqa: E402

asyncio.create_task(Client(*client).run())
del client, Client
gc.collect()
asyncio.get_event_loop().run_forever()
