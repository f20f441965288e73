"""Run one firmware unit test under MicroPython: `micropython run.py module function`."""

import sys

module, name = sys.argv[1], sys.argv[2]
getattr(__import__(module), name)()
print("PASS", module, name)
