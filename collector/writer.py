"""Batches line protocol to InfluxDB in its own thread and acknowledges only what is safe.

The MQTT thread only queues, a burst of messages at a time; this thread
writes. A message is acknowledged to the broker after the batch that holds its
points is written, and in the order the messages arrived (MQTT requires PUBACKs
in order), so a crash before the write means the broker delivers it again, and
the same point is written again.
While InfluxDB is away, batches go to the on-disk spool (and are acknowledged
once there); when the spool is full, nothing is acknowledged and the broker
holds the rest.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from collector.metrics import Metrics
from collector.ratelog import RateLimitedLog
from collector.spool import Spool
from hubsense.influx import InfluxError, InfluxV1

log = logging.getLogger(__name__)

# With nothing new for this long, write what we have: the broker may be
# waiting for acknowledgements before it sends more (its in-flight window).
IDLE_FLUSH_S = 0.003
# Messages the MQTT thread gathers before it hands them over (it also hands over
# whenever it has read all that arrived): well under the broker's in-flight
# window (5000 as shipped), so this thread writes one part while the MQTT thread reads the next.
HAND_OVER = 250
# A batch this big is written without waiting for more: the broker is holding
# back the next messages until these are acknowledged.
EAGER_LINES = 100
RETRY_MIN_S = 0.2
RETRY_MAX_S = 5.0

Ack = Callable[[list["Item"]], None]  # acknowledge these QoS 1 messages, in order


@dataclass(slots=True)
class Item:
    lines: list[str]
    mid: int = 0
    qos: int = 0
    gen: int = 0


class BatchWriter:
    """Write queued lines in batches; acknowledge their messages once written or spooled."""

    def __init__(self, influx: InfluxV1, metrics: Metrics, ack: Ack, batch_size: int,
                 flush_interval_s: float, spool: Spool, max_queue: int = 20_000) -> None:
        self.influx = influx
        self.metrics = metrics
        self._ack = ack
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.spool = spool
        metrics.spool_bytes = spool.bytes
        # Bounded (in hand-overs): when full, put() blocks the MQTT thread, and the
        # broker holds the rest (it sends no more than its in-flight window unacknowledged).
        self._q: queue.Queue[list[Item] | None] = queue.Queue(max_queue)
        self._stop = threading.Event()
        self._db_ready = False
        self._retry_at = 0.0  # no direct write or replay before this (monotonic)
        self._delay = RETRY_MIN_S
        self._rlog = RateLimitedLog(log, burst=3, period_s=30)
        self._thread = threading.Thread(target=self._run, name="influx-writer", daemon=True)
        self.idle = threading.Event()  # set: all received is written or spooled, and acked
        self._idle_lock = threading.Lock()
        self._pending: list[Item] = []  # gathered by the MQTT thread, not yet handed over
        self._unhanded = 0  # messages begun by the MQTT thread and not yet handed over

    def start(self) -> BatchWriter:
        self._thread.start()
        return self

    def put(self, lines: list[str]) -> None:
        """Queue derived points now (any thread); nothing to acknowledge for them."""
        self.idle.clear()
        self._q.put([Item(lines, 0, 0, 0)])

    # The MQTT thread's path: begin() before handling a message, add() its item,
    # hand_over() when the socket is drained. One queue hand-over per message
    # costs more than validating it.

    def begin(self) -> None:
        """A message is being handled: not idle until it is handed over and written."""
        with self._idle_lock:
            self._unhanded += 1
            if self.idle.is_set():
                self.idle.clear()

    def add(self, item: Item) -> None:
        self._pending.append(item)
        if len(self._pending) >= HAND_OVER:
            self.hand_over()

    def hand_over(self) -> None:
        if self._pending:
            self._q.put(self._pending)
            self._pending = []
        with self._idle_lock:
            self._unhanded = 0

    def _set_idle(self) -> None:
        with self._idle_lock:
            if not self._unhanded and self._q.empty():
                self.idle.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Write (or spool) and acknowledge everything queued, then end the thread."""
        self._q.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("writer did not drain within %.0f s; unacknowledged messages "
                      "will be redelivered by the broker", timeout)
        self._stop.set()

    def _run(self) -> None:
        done = False
        while not done and not self._stop.is_set():
            try:
                first = self._q.get(timeout=0.2)
            except queue.Empty:
                self._replay()
                self._set_idle()
                continue
            if first is None:
                break
            batch, done = self._collect(list(first))
            self._write(batch)
            self._set_idle()
        self.idle.set()

    def _collect(self, batch: list[Item]) -> tuple[list[Item], bool]:
        n = sum(len(item.lines) for item in batch)
        deadline = time.monotonic() + self.flush_interval_s
        while n < self.batch_size:
            try:
                items = self._q.get_nowait()
            except queue.Empty:
                left = deadline - time.monotonic()
                if n >= EAGER_LINES or left <= 0:
                    break  # a burst's worth: write it while the MQTT thread reads the next
                try:
                    items = self._q.get(timeout=min(left, IDLE_FLUSH_S))
                except queue.Empty:
                    break
            if items is None:
                return batch, True
            batch.extend(items)
            n += sum(len(item.lines) for item in items)
        return batch, False

    def _write(self, batch: list[Item]) -> None:
        lines = [line for item in batch for line in item.lines]
        if lines:
            body = "\n".join(lines).encode()
            # Order matters: while anything is spooled, new batches queue behind it.
            if not self._replay() or not self._try_send(body, len(lines)):
                while not self._spool(body):
                    if self._stop.wait(self._delay):
                        return  # not acknowledged: the broker will deliver them again
                    if self._replay() and self._try_send(body, len(lines)):
                        break
        # One call per batch: the client sends all its PUBACKs in one write.
        self._ack([item for item in batch if item.qos])

    def _spool(self, body: bytes) -> bool:
        if self.spool.append(body):
            self.metrics.spool_bytes = self.spool.bytes
            return True
        self.metrics.inc("spool_full")
        self._rlog.warning("spool-full", "SPOOL FULL (%d bytes in %s): InfluxDB has been "
                           "unreachable too long; holding messages at the broker",
                           self.spool.bytes, self.spool.dir)
        return False

    def _replay(self) -> bool:
        """Write spooled batches oldest first; True once the spool is empty."""
        if self.spool and time.monotonic() < self._retry_at:
            return False  # backing off: don't read the oldest file just to keep it
        while self.spool:
            body = self.spool.oldest()
            assert body is not None
            if not self._try_send(body, body.count(b"\n") + 1):
                return False
            self.spool.pop()
            self.metrics.spool_bytes = self.spool.bytes
            if not self.spool:
                log.info("spool replayed; writing directly again")
        return True

    def _try_send(self, body: bytes, n: int) -> bool:
        """Write one body; False if it should be kept for later (InfluxDB is away)."""
        if time.monotonic() < self._retry_at:
            return False
        try:
            self._send(body, n)
        except InfluxError as exc:
            self.metrics.error(str(exc))
            if not exc.retryable:
                # Some points are bad: keeping them cannot help, losing the good ones must not.
                self._salvage(body, n, exc)
                return True
            self._rlog.warning("write", "InfluxDB write failed, spooling; next try in "
                               "%.1f s: %s", self._delay, exc)
            self._retry_at = time.monotonic() + self._delay
            self._delay = min(self._delay * 2, RETRY_MAX_S)
            return False
        self._delay = RETRY_MIN_S
        return True

    def _salvage(self, body: bytes, n: int, exc: InfluxError) -> None:
        """Write the good points of a refused batch and count only the bad ones.

        In a partial write InfluxDB kept the good points itself. A batch refused
        whole (a field type conflict refuses every point with it) is halved until
        each bad point stands alone.
        """
        if exc.partial:
            bad = min(exc.refused, n) or 1
            self.metrics.wrote(n - bad, 0.0)
            self.metrics.inc("points_dropped", bad)
            self._rlog.error("refused", "InfluxDB refused %d of %d points: %s", bad, n,
                             str(exc)[:300])
            return
        lines = body.split(b"\n")
        if len(lines) == 1:
            self.metrics.inc("points_dropped")
            self._rlog.error("refused", "InfluxDB refused a point: %s: %s",
                             str(exc)[:200], body[:200])
            return
        mid = len(lines) // 2
        for half in (lines[:mid], lines[mid:]):
            part = b"\n".join(half)
            try:
                self._send(part, len(half))
            except InfluxError as again:
                if again.retryable:  # InfluxDB went away meanwhile: keep it for the replay
                    if not self._spool(part):
                        self.metrics.inc("points_dropped", len(half))
                else:
                    self._salvage(part, len(half), again)

    def _send(self, body: bytes, n: int) -> None:
        if not self._db_ready:
            self.influx.create_database()
            self._db_ready = True
        t0 = time.perf_counter()
        try:
            self.influx.write_lines(body)
        except InfluxError as exc:
            if exc.missing:
                self._db_ready = False
                raise InfluxError(str(exc), retryable=True) from exc
            raise
        self.metrics.wrote(n, time.perf_counter() - t0)
