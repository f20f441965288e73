"""The collector's own counters, and their Prometheus text rendering."""

from __future__ import annotations

import threading
import time
from collections import Counter

from hubsense.contract import Reject

_P = "hubsense_collector_"


class Metrics:
    """Counters shared by the collector's threads; every drop is counted here."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages = 0
        self.rejected: Counter[str] = Counter({r.value: 0 for r in Reject})
        self.internal_errors = 0
        self.points_written = 0
        self.points_dropped = 0
        self.write_errors = 0
        self.write_seconds_sum = 0.0
        self.write_seconds_max = 0.0
        self.writes = 0
        self.states_published = 0
        self.spool_bytes = 0
        self.spool_full = 0
        self.dead_letters = 0
        self.implausible_passages = 0
        self.logs_suppressed = 0
        self.last_error = ""
        self.last_error_ts = 0.0

    def inc(self, name: str, by: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + by)

    def reject(self, reason: Reject) -> None:
        with self._lock:
            self.rejected[reason.value] += 1

    def wrote(self, points: int, seconds: float) -> None:
        with self._lock:
            self.points_written += points
            self.writes += 1
            self.write_seconds_sum += seconds
            self.write_seconds_max = max(self.write_seconds_max, seconds)

    def error(self, message: str) -> None:
        with self._lock:
            self.write_errors += 1
            self.last_error = message[:300]
            self.last_error_ts = time.time()

    def render(self) -> str:
        """Prometheus text exposition format, version 0.0.4."""
        with self._lock:
            out = [
                _one("messages_total", "counter", "MQTT messages received", self.messages),
                f"# HELP {_P}rejected_total messages refused, by reason",
                f"# TYPE {_P}rejected_total counter",
                *(f'{_P}rejected_total{{reason="{r}"}} {n}'
                  for r, n in sorted(self.rejected.items())),
                _one("internal_errors_total", "counter", "messages that raised unexpectedly",
                     self.internal_errors),
                _one("points_written_total", "counter", "points InfluxDB accepted",
                     self.points_written),
                _one("points_dropped_total", "counter", "points InfluxDB refused as invalid",
                     self.points_dropped),
                _one("write_errors_total", "counter", "failed InfluxDB writes",
                     self.write_errors),
                f"# HELP {_P}write_seconds InfluxDB write latency",
                f"# TYPE {_P}write_seconds summary",
                f"{_P}write_seconds_sum {self.write_seconds_sum}",
                f"{_P}write_seconds_count {self.writes}",
                _one("write_seconds_max", "gauge", "slowest write so far",
                     self.write_seconds_max),
                _one("states_published_total", "counter", "retained state messages published",
                     self.states_published),
                _one("spool_bytes", "gauge", "line protocol waiting on disk for InfluxDB",
                     self.spool_bytes),
                _one("spool_full_total", "counter", "batches refused by a full spool",
                     self.spool_full),
                _one("dead_letters_total", "counter", "rejections kept in the dead-letter file",
                     self.dead_letters),
                _one("implausible_passages_total", "counter",
                     "entrance totals that jumped further than people walk (not visits)",
                     self.implausible_passages),
                _one("logs_suppressed_total", "counter", "log lines held back by rate limits",
                     self.logs_suppressed),
                _one("last_error_timestamp_seconds", "gauge", "time of the last write error",
                     self.last_error_ts),
                f"# HELP {_P}last_error_info the last write error",
                f"# TYPE {_P}last_error_info gauge",
                f'{_P}last_error_info{{message="{_label(self.last_error)}"}} 1',
            ]
        return "\n".join(out) + "\n"


def _one(name: str, kind: str, text: str, value: float) -> str:
    return f"# HELP {_P}{name} {text}\n# TYPE {_P}{name} {kind}\n{_P}{name} {value}"


def _label(s: str) -> str:
    return s.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
