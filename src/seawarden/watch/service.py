"""The running service: inputs -> DetectionEngine -> AlertPipeline -> sinks, store appends batched, plus the live feed.

Producers (one thread for the paced file replay, one per live socket) put decoded batches on a
bounded queue. The ingest thread detects as soon as rows arrive, on everything already waiting in
the queue (micro-batching by backlog: one detector call per drain, so a burst costs one call, not
one per 20 ms socket chunk, and an idle feed is never held back waiting for a batch to fill).
Two writer threads own the store writes. The alert writer runs the alert pipeline (one
transaction per round; a backlog of detector calls is one round) under ``lock``, the lock operator
actions from the API take too. The store writer appends the AIS, batched at most every
``flush_interval_s`` or ``flush_rows`` rows (a DuckDB append costs milliseconds whatever its size),
on a store handle of its own (a DuckDB cursor, a PostGIS connection).

Why apart: detection never waits for the database, and an alert never waits behind a second of
AIS being appended (tens of ms at 20 k msg/s) -- it waits at most for the alert round before it.
On DuckDB the alerts are also in a file of their own, so the archive's automatic checkpoint (every
16 MB of AIS log, ~150-200 ms without any commit to that file) does not hold them either. The live
positions feed is updated after each detector call, so the map moves between flushes.

Stopping (Ctrl-C / SIGTERM -> :meth:`WatchService.stop`) closes the inputs, stores what was
already decoded, flushes the detectors (open events close) and the alert sinks.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from seawarden.alert.pipeline import AlertPipeline
from seawarden.api.feed import PositionFeed
from seawarden.detect.config import DetectConfig
from seawarden.detect.engine import DetectionEngine
from seawarden.ingest.batch import DecodedBatch
from seawarden.store.duckdb_store import DuckDBStore
from seawarden.watch.pacing import Pacer, shift_time

log = logging.getLogger(__name__)

LOOP_GAP_MS = 60_000  # event time between the end of one loop pass and the start of the next


@dataclass
class Input:
    """One thing to read: a file (replayed, paced) or a live feed (as it arrives)."""

    name: str
    open: Callable[[], Any]  # -> an object with batches() (and close() for live feeds)
    live: bool = False
    fingerprint: str | None = None  # files: skip storing what the store already ingested


@dataclass
class _Done:
    """Queue marker: an input pass ended; mark it ingested once its rows are stored."""

    name: str
    fingerprint: str | None
    stats: dict[str, Any]


_END = object()


class _Inbox:
    """A FIFO hand-over to a writer thread; bounded when ``maxsize`` > 0 (a slow writer holds the giver back, not
    memory) and closable: once its writer failed nothing takes work any more, so a giver never blocks on it and what
    it gives is counted in ``dropped`` (reported with the writer's error) instead of piling up in memory."""

    def __init__(self, maxsize: int = 0) -> None:
        self._cv = threading.Condition()
        self._items: deque[Any] = deque()
        self._maxsize = maxsize
        self.closed = False
        self.dropped = 0

    def close(self) -> None:
        with self._cv:
            self.closed = True
            self._cv.notify_all()

    def put(self, item: Any) -> None:
        with self._cv:
            if self._maxsize:
                self._cv.wait_for(lambda: self.closed or len(self._items) < self._maxsize)
            if self.closed:
                self.dropped += 1
                return
            self._items.append(item)
            self._cv.notify_all()

    def take(self) -> Any:
        """The oldest item (waits for one)."""
        with self._cv:
            self._cv.wait_for(lambda: self._items)
            self._cv.notify_all()
            return self._items.popleft()

    def take_all(self, timeout: float | None = None) -> list[Any]:
        """Everything waiting, oldest first (waits for at least one, or ``timeout`` s: then nothing)."""
        with self._cv:
            self._cv.wait_for(lambda: self._items, timeout)
            self._cv.notify_all()
            items = list(self._items)
            self._items.clear()
            return items

    def __len__(self) -> int:
        with self._cv:
            return len(self._items)


class WatchService:
    def __init__(self, db: DuckDBStore, inputs: list[Input], pipeline: AlertPipeline, *, feed: PositionFeed,
                 lock: threading.RLock, index=None, detect_config: DetectConfig | None = None, speed: float | None = None,
                 loop: bool = False, flush_interval_s: float = 1.0, flush_rows: int = 200_000, queue_batches: int = 256,
                 step_s: float = 0.5, detect_rows: int = 50_000, writes_queued: int = 64) -> None:
        self.db, self.inputs, self.pipeline, self.feed, self.lock = db, inputs, pipeline, feed, lock
        self.detect_config = detect_config or DetectConfig.load()
        self.engine = DetectionEngine(self.detect_config, index)
        self.speed, self.loop = speed, loop
        self.pacer = Pacer(speed, step_s=step_s)
        self.flush_interval_s, self.flush_rows = flush_interval_s, flush_rows
        self.detect_rows = detect_rows  # largest backlog detected in one call (bounds one round's latency)
        self.queue: queue.Queue = queue.Queue(maxsize=queue_batches)
        self.stop_event = threading.Event()
        self.replay_done = threading.Event()  # every file input replayed (and not looping)
        self.stopped = threading.Event()  # both writers have stored everything and ended
        self.stats: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.events_by_type: Counter[str] = Counter()
        self.changes: Counter[str] = Counter()
        self.errors: list[str] = []
        self.passes = 0
        self._open_live: list[Any] = []
        self._threads: list[threading.Thread] = []
        self._pending: list[DecodedBatch] = []  # received, not yet detected
        self._detect_rows = 0
        self._pending_store: list[DecodedBatch] = []
        self._pending_rows = 0
        self._last_flush = time.monotonic()
        self._engine_lock = threading.Lock()  # the detectors: the ingest thread, or an asset change from the API
        self._alert_inbox = _Inbox()  # lists of detector events (a backlog of calls becomes one pipeline call)
        self._store_inbox = _Inbox(writes_queued)  # AIS batches and ingested-marks, in order
        self._writers_left = 2
        self._writers_lock = threading.Lock()

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        files = [i for i in self.inputs if not i.live]
        producers = [threading.Thread(target=self._replay, args=(files,), name="seawarden-replay", daemon=True)] if files else []
        producers += [threading.Thread(target=self._live, args=(i,), name=f"seawarden-live-{n}", daemon=True)
                      for n, i in enumerate(self.inputs) if i.live]
        if not files:
            self.replay_done.set()
        self._producers = producers
        consumer = threading.Thread(target=self._consume, args=(len(producers),), name="seawarden-ingest", daemon=True)
        with self.lock:  # the AIS writer's own handle: an alert commit never waits for an append in progress
            store_db = self.db.reader()
        writers = [threading.Thread(target=self._write_alerts, name="seawarden-alert-writer", daemon=True),
                   threading.Thread(target=self._write_store, args=(store_db,), name="seawarden-store-writer", daemon=True)]
        self._threads = [*producers, consumer, *writers]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Close the inputs, store what was decoded, flush detectors and sinks. True when everything ended in time."""
        self.stop_event.set()
        for src in list(self._open_live):
            close = getattr(src, "close", None)
            if close is not None:
                close()
        return self.stopped.wait(timeout)

    def stream_stats(self) -> dict[str, Any]:
        """Counters for /api/health, /api/metrics and the SSE stats frame."""
        return {**self.stats, "rejected": dict(self.rejected), "events_by_type": dict(self.events_by_type),
                "alert_changes": dict(self.changes), "passes": self.passes, "replay_done": self.replay_done.is_set(),
                "queue": self.queue.qsize(), "writes_queued": len(self._alert_inbox) + len(self._store_inbox),
                "writes_dropped": self._alert_inbox.dropped + self._store_inbox.dropped, "pacer_skipped": self.pacer.skipped, "errors": len(self.errors)}

    def replace_index(self, index) -> None:
        """New assets: close what the old detectors had open, then detect against the new index."""
        with self._engine_lock:
            events = self.engine.flush()
            self.engine = DetectionEngine(self.detect_config, index)
        with self.lock:
            self._handle(events)

    # -- producers -----------------------------------------------------------------------------
    def _put(self, item: Any) -> bool:
        """Blocking put (back-pressure on a replay); after stop() too, so what was decoded is still stored."""
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.25)
                return True
            except queue.Full:
                continue
        return False

    def _wait_until(self, start: float) -> Callable[[float], bool]:
        def wait(due_s: float) -> bool:
            while True:
                left = start + due_s - time.monotonic()
                if left <= 0 or self.stop_event.is_set():
                    return not self.stop_event.is_set()
                self.stop_event.wait(min(left, 0.25))
        return wait

    def _replay(self, files: list[Input]) -> None:
        start = time.monotonic()
        span: list[int] = []  # first/last event time of pass 0 (for the loop shift)
        try:
            while not self.stop_event.is_set():
                shift = 0 if self.passes == 0 else self.passes * (span[1] - span[0] + LOOP_GAP_MS)
                for item in files:
                    try:
                        batches = self._shifted(item.open().batches(), shift, span if self.passes == 0 else None)
                        stats = Counter()
                        for b in self.pacer.paced(batches, self._wait_until(start)):
                            stats["lines"] += b.stats.lines
                            if not self._put((item, b, self.passes)):
                                return
                    except (OSError, ValueError) as exc:
                        self.errors.append(f"{item.name}: {exc}")
                        log.error("replay of %s failed: %s", item.name, exc)
                        continue
                    if self.stop_event.is_set():
                        return
                    fp = item.fingerprint if self.passes == 0 else (f"{item.fingerprint}#pass{self.passes}" if item.fingerprint else None)
                    if not self._put(_Done(item.name, fp, dict(stats))):
                        return
                self.passes += 1
                if not self.loop or len(span) < 2:
                    break
        finally:
            self.replay_done.set()
            self.queue.put(_END)

    @staticmethod
    def _shifted(batches: Iterator[DecodedBatch], shift_ms: int, span: list[int] | None) -> Iterator[DecodedBatch]:
        import pyarrow.compute as pc

        for b in batches:
            if span is not None and b.positions.num_rows:
                lo, hi = (int(v.value) for v in pc.min_max(b.positions["ts"]).values())
                if not span:
                    span.extend([lo, hi])
                span[0], span[1] = min(span[0], lo), max(span[1], hi)
            yield shift_time(b, shift_ms)

    def _live(self, item: Input) -> None:
        try:
            src = item.open()
            self._open_live.append(src)
            if self.stop_event.is_set():
                src.close()
            for b in src.batches():
                if not self._put((item, b, 0)):
                    break
        except (OSError, ValueError, ConnectionError) as exc:
            self.errors.append(f"{item.name}: {exc}")
            log.error("live input %s failed: %s", item.name, exc)
        finally:
            self.queue.put(_END)

    # -- the consumer: every write happens here (or in an operator action, under the same lock) --
    def _consume(self, producers: int) -> None:
        ended = 0
        try:
            while ended < producers:
                try:
                    item = self.queue.get(timeout=self.flush_interval_s / 2)
                except queue.Empty:
                    item = None
                while item is not None:  # everything already waiting joins this round (one detector call)
                    if item is _END:
                        ended += 1
                    elif isinstance(item, _Done):
                        self._detect()
                        self._flush()
                        self._store_inbox.put(item)  # marked once the rows before it are stored
                    else:
                        self._receive(*item)
                    if self._detect_rows >= self.detect_rows:
                        break
                    try:
                        item = self.queue.get_nowait()
                    except queue.Empty:
                        item = None
                self._detect()
                if self._pending_store and (time.monotonic() - self._last_flush >= self.flush_interval_s
                                            or self._pending_rows >= self.flush_rows):
                    self._flush()
            self._flush()
            with self._engine_lock:
                self._alert_inbox.put(self.engine.flush())
        except Exception as exc:  # noqa: BLE001 -- reported to the operator; the console keeps serving
            self.errors.append(f"ingest loop: {exc!r}")
            log.exception("ingest loop failed")
        finally:
            self._alert_inbox.put(_END)
            self._store_inbox.put(_END)

    # -- the writers: alerts (under ``lock``, shared with operator actions) and AIS, each on its own store handle --
    def _write_alerts(self) -> None:
        """Detector events -> alert pipeline; every call waiting joins one transaction (a backlog is one commit).

        Rounds that raise nothing may be held back by the store (alert/working_set.py): written here once the
        oldest is ``flush_interval_s`` old, like the AIS, and at the end.
        """
        try:
            while True:
                calls = self._alert_inbox.take_all(timeout=self.flush_interval_s / 2)
                ended = _END in calls
                events = [e for call in calls if call is not _END for e in call]
                with self.lock:
                    if events:
                        self._handle(events)
                    self.pipeline.flush(0.0 if ended else self.flush_interval_s)
                if ended:
                    return
        except Exception as exc:  # noqa: BLE001 -- reported to the operator; the console keeps serving
            self.errors.append(f"alert writer: {exc!r}")
            log.exception("alert writer failed")
            self._alert_inbox.close()
        finally:
            self._writer_ended()

    def _write_store(self, store_db) -> None:
        """AIS appends and ingested-marks, in arrival order, on a handle of its own.

        Why apart from alerts: an append of a second of a busy feed takes tens of ms, and alerts queued behind it
        waited as long; the checkpoint such an append may start pauses the archive file only, not the alert log.
        """
        try:
            while True:
                item = self._store_inbox.take()
                if item is _END:
                    return
                if isinstance(item, _Done):
                    if item.fingerprint is not None and not store_db.has_ingested(item.fingerprint):
                        store_db.mark_ingested(item.fingerprint, item.name, item.stats)
                elif item.n_rows:
                    store_db.append(item)
                    self.stats["store_appends"] += 1
                    self.stats["stored_rows"] += item.n_rows
        except Exception as exc:  # noqa: BLE001 -- reported to the operator; the console keeps serving
            self.errors.append(f"store writer: {exc!r}")
            log.exception("store writer failed")
            self._store_inbox.close()
        finally:
            try:
                store_db.close()
            finally:
                self._writer_ended()

    def _writer_ended(self) -> None:
        with self._writers_lock:
            self._writers_left -= 1
            if self._writers_left == 0:
                self.stopped.set()

    def _receive(self, item: Input, batch: DecodedBatch, pass_no: int) -> None:
        self.stats["batches"] += 1
        self.stats["positions"] += batch.positions.num_rows
        self.stats["static"] += batch.static.num_rows
        self.stats["other"] += batch.other.num_rows
        self.stats["lines"] += batch.stats.lines
        for reason, n in batch.stats.as_dict()["rejected"].items():
            self.rejected[reason] += n
        self._pending.append(batch)
        self._detect_rows += batch.n_rows
        fp = item.fingerprint if pass_no == 0 else (f"{item.fingerprint}#pass{pass_no}" if item.fingerprint else None)
        if fp is None or not self._already(fp):
            self._pending_store.append(batch)
            self._pending_rows += batch.n_rows
        else:
            self.stats["replayed_not_stored"] += batch.positions.num_rows

    def _already(self, fingerprint: str) -> bool:
        cache = self.__dict__.setdefault("_ingested_cache", {})
        if fingerprint not in cache:
            with self.lock:
                cache[fingerprint] = self.db.has_ingested(fingerprint)
        return cache[fingerprint]

    def _detect(self) -> None:
        """Run the detectors on every received row not yet detected; alert on what they found."""
        if not self._pending:
            return
        batch = self._pending[0] if len(self._pending) == 1 else DecodedBatch.concat(self._pending)
        self._pending, self._detect_rows = [], 0
        self.stats["detect_calls"] += 1
        with self._engine_lock:
            events = self.engine.process(batch)
        if events:
            self._alert_inbox.put(events)
        self.feed.update(batch.positions)  # after detection: the map's next push is 0.5 s away, an alert's is not

    def _flush(self) -> None:
        """Hand the rows received since the last flush to the writer (one append, one transaction)."""
        self._last_flush = time.monotonic()
        if not self._pending_store:
            return
        store = DecodedBatch.concat(self._pending_store)
        self._pending_store, self._pending_rows = [], 0
        self._store_inbox.put(store)

    def _handle(self, events: list) -> None:
        if not events:
            return
        self.stats["events"] += len(events)
        self.events_by_type.update(e.type for e in events)
        for c in self.pipeline.handle(events):
            self.changes[c.change] += 1
