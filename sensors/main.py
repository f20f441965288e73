"""Boot entry of a hubsense node: run the node described by config.json."""

from hubsense_node import app

app.main()
