"""Batches line protocol to InfluxDB in its own thread and acknowledges only what is safe.

The MQTT thread only queues; this thread writes. A message is acknowledged to
the broker after the batch that holds its points is written, and in the order
the messages arrived (MQTT requires PUBACKs in order), so a crash before the
write means the broker delivers it again, and the same point is written again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from collector.metrics import Metrics
from hubsense.influx import InfluxError, InfluxV1

log = logging.getLogger(__name__)

# With nothing new for this long, write what we have: the broker may be
# waiting for acknowledgements before it sends more (its in-flight window).
IDLE_FLUSH_S = 0.003
RETRY_MAX_S = 5.0

Ack = Callable[[int, int, int], None]  # (mid, qos, connection generation)


@dataclass(slots=True)
class Item:
    lines: list[str]
    mid: int = 0
    qos: int = 0
    gen: int = 0


class BatchWriter:
    """Write queued lines in batches; acknowledge their messages once written."""

    def __init__(self, influx: InfluxV1, metrics: Metrics, ack: Ack, batch_size: int,
                 flush_interval_s: float, max_queue: int = 200_000) -> None:
        self.influx = influx
        self.metrics = metrics
        self._ack = ack
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        # Bounded: when full, put() blocks the MQTT thread, and the broker holds
        # the rest (it sends no more than its in-flight window unacknowledged).
        self._q: queue.Queue[Item | None] = queue.Queue(max_queue)
        self._stop = threading.Event()
        self._db_ready = False
        self._thread = threading.Thread(target=self._run, name="influx-writer", daemon=True)
        self.idle = threading.Event()

    def start(self) -> BatchWriter:
        self._thread.start()
        return self

    def put(self, lines: list[str], mid: int = 0, qos: int = 0, gen: int = 0) -> None:
        self.idle.clear()
        self._q.put(Item(lines, mid, qos, gen))

    def stop(self, timeout: float = 30.0) -> None:
        """Write and acknowledge everything queued, then end the thread."""
        self._q.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("writer did not drain within %.0f s; unacknowledged messages "
                      "will be redelivered by the broker", timeout)
        self._stop.set()

    def abort(self) -> None:
        """Stop at once without writing what is queued (the broker still has it)."""
        self._stop.set()
        self._q.put(None)

    def _run(self) -> None:
        done = False
        while not done and not self._stop.is_set():
            try:
                first = self._q.get(timeout=0.5)
            except queue.Empty:
                self.idle.set()
                continue
            if first is None:
                break
            batch, done = self._collect(first)
            self._write(batch)
            if self._q.empty():
                self.idle.set()
        self.idle.set()

    def _collect(self, first: Item) -> tuple[list[Item], bool]:
        batch = [first]
        n = len(first.lines)
        deadline = time.monotonic() + self.flush_interval_s
        while n < self.batch_size:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                item = self._q.get(timeout=min(left, IDLE_FLUSH_S))
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
            n += len(item.lines)
        return batch, False

    def _write(self, batch: list[Item]) -> None:
        lines = [line for item in batch for line in item.lines]
        delay = 0.1
        while lines:
            try:
                self._send(lines)
                break
            except InfluxError as exc:
                self.metrics.error(str(exc))
                if not exc.retryable:
                    # The points themselves are bad: retrying cannot help.
                    log.error("InfluxDB refused %d points: %s", len(lines), exc)
                    self.metrics.inc("points_dropped", len(lines))
                    break
                log.warning("InfluxDB write failed, retrying in %.1f s: %s", delay, exc)
                if self._stop.wait(delay):
                    return  # not acknowledged: the broker will deliver them again
                delay = min(delay * 2, RETRY_MAX_S)
        for item in batch:
            if item.qos:
                self._ack(item.mid, item.qos, item.gen)

    def _send(self, lines: list[str]) -> None:
        if not self._db_ready:
            self.influx.create_database()
            self._db_ready = True
        t0 = time.perf_counter()
        try:
            self.influx.write_lines("\n".join(lines).encode())
        except InfluxError as exc:
            if "database not found" in str(exc):
                self._db_ready = False
                raise InfluxError(str(exc), retryable=True) from exc
            raise
        self.metrics.wrote(len(lines), time.perf_counter() - t0)
