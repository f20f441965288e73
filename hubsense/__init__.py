"""hubsense: the shared domain (layout, MQTT contract, zone state) and the command line."""

__version__ = "0.1.0"
