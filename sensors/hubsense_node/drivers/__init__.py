"""Sensor drivers: each takes its pin or bus, never creates one."""
