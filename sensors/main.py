"""Boot entry of a hubsense node: run the node described by config.json."""

import asyncio
import gc

from hubsense_node import app

app.start("config.json")
# The wiring is done and the tasks hold all that runs: free the wiring's RAM.
app.forget("app")
del app
gc.collect()
asyncio.get_event_loop().run_forever()
