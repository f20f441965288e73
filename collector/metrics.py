"""The collector's own counters, served to Prometheus by prometheus_client.

The counters are plain attributes, cheap on the MQTT thread's path (one per
message); prometheus_client reads them at each scrape through a custom
collector and serves the text format over its own HTTP server.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hubsense.contract import Reject

_P = "hubsense_collector_"

# name: (help, counter or gauge)
_PLAIN: dict[str, tuple[str, bool]] = {
    "messages": ("MQTT messages received", True),
    "internal_errors": ("messages that raised unexpectedly", True),
    "points_written": ("points InfluxDB accepted", True),
    "points_dropped": ("points InfluxDB refused as invalid", True),
    "write_errors": ("failed InfluxDB writes", True),
    "writes": ("InfluxDB writes", True),
    "states_published": ("retained state messages published", True),
    "spool_bytes": ("line protocol waiting on disk for InfluxDB", False),
    "spool_full": ("batches refused by a full spool", True),
    "dead_letters": ("rejections kept in the dead-letter file", True),
    "implausible_passages": ("entrance totals that jumped further than people walk "
                             "(not counted as visits)", True),
    "logs_suppressed": ("log lines held back by rate limits", True),
    "write_seconds_max": ("slowest InfluxDB write so far", False),
    "last_error_timestamp_seconds": ("time of the last write error", False),
}


class Metrics:
    """Counters shared by the collector's threads; every drop is counted here."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages = 0  # only the MQTT thread writes this one: no lock on its path
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
        self.last_error_timestamp_seconds = 0.0

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
            self.last_error_timestamp_seconds = time.time()

    def registry(self) -> CollectorRegistry:
        """A registry of these counters alone (each collector in a process has its own)."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Exporter(self))
        return registry


class _Exporter(Collector):
    """Read the counters at scrape time."""

    def __init__(self, metrics: Metrics) -> None:
        self.m = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.m
        with m._lock:
            for name, (text, counter) in _PLAIN.items():
                value = float(getattr(m, name))
                if counter:
                    yield CounterMetricFamily(_P + name, text, value=value)
                else:
                    yield GaugeMetricFamily(_P + name, text, value=value)
            rejected = CounterMetricFamily(_P + "rejected", "messages refused, by reason",
                                           labels=["reason"])
            for reason, n in sorted(m.rejected.items()):
                rejected.add_metric([reason], float(n))
            yield rejected
            yield CounterMetricFamily(_P + "write_seconds", "time spent in InfluxDB writes",
                                      value=m.write_seconds_sum)
            info = GaugeMetricFamily(_P + "last_error_info", "the last write error",
                                     labels=["message"])
            info.add_metric([m.last_error], 1.0)
            yield info


class MetricsServer:
    """prometheus_client's HTTP server for one collector's metrics, stopped with it."""

    def __init__(self, metrics: Metrics, port: int, host: str = "127.0.0.1") -> None:
        self._metrics = metrics
        self._host = host
        self._port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def start(self) -> MetricsServer:
        self._server, self._thread = start_http_server(self._port, self._host,
                                                       self._metrics.registry())
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
