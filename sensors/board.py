"""This board's wiring: the only file that knows pin numbers.

Edit it for your board; nothing else in the firmware names a pin. The values
below are for an ESP32-DevKitC (see README.md for the wiring tables).
"""

# Desk node: one PIR per desk, inputs 1-4.
PIR_PINS = (13, 14, 27, 26)


def drivers(cfg):
    """Build one real driver per configured input, on this board's pins."""
    from machine import Pin

    out = []
    for k, inp in enumerate(cfg["inputs"]):
        sensor = inp["sensor"]
        if sensor == "pir":
            from hubsense_node.drivers.pir import PIR

            out.append(PIR(Pin(PIR_PINS[k], Pin.IN)))
        else:
            raise ValueError("board: no wiring for sensor '%s'" % sensor)
    return out
