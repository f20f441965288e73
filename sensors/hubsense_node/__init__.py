"""hubsense node firmware: the same logic on an ESP32 and on the MicroPython unix port."""

FW = "0.1.0"
