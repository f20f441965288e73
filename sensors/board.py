"""This board's wiring: the only file that knows pin numbers.

Edit it for your board; nothing else in the firmware names a pin. The values
are for an ESP32-DevKitC (wiring tables in README.md). Each function builds
the driver of one configured input; `k` is its position in config.json.
"""

from machine import I2S, UART, Pin

# Desk node: one PIR per desk, inputs 1-4.
PIR_PINS = (13, 14, 27, 26)
# Buzz and meeting nodes: HLK-LD2450 radar on UART2 (256000 baud).
RADAR_UART, RADAR_TX, RADAR_RX = 2, 17, 16
# Buzz node: INMP441 microphone on I2S0.
MIC_SCK, MIC_WS, MIC_SD = 32, 25, 33
# Entrance node: break-beam receivers, street side and room side.
BEAM_OUTER, BEAM_INNER = 18, 19


def pir(k):
    from hubsense_node.drivers.pir import PIR

    return PIR(Pin(PIR_PINS[k], Pin.IN))


def radar(k):
    from hubsense_node.drivers.ld2450 import LD2450

    return LD2450(UART(RADAR_UART, 256000, tx=RADAR_TX, rx=RADAR_RX, rxbuf=512))


def mic(k):
    from hubsense_node.drivers.i2s_mic import I2SMic

    return I2SMic(I2S(0, sck=Pin(MIC_SCK), ws=Pin(MIC_WS), sd=Pin(MIC_SD), mode=I2S.RX,
                      bits=32, format=I2S.MONO, rate=16000, ibuf=8192))


def beams(k):
    from hubsense_node.drivers.beams import BeamPair

    return BeamPair(Pin(BEAM_OUTER, Pin.IN, Pin.PULL_UP), Pin(BEAM_INNER, Pin.IN, Pin.PULL_UP))


def drivers(cfg):
    """Build one real driver per configured input, on this board's pins."""
    made = {"pir": pir, "radar": radar, "mic": mic, "beams": beams}
    return [made[inp["sensor"]](k) for k, inp in enumerate(cfg["inputs"])]
