"""Overlap producing batches (decoding NMEA, reading files, locating fixes) with detecting on them.

The decoder's and the detectors' compiled kernels release the GIL, so decoding chunk n+1 in a
worker thread while the engine works on chunk n uses the second core without changing a single
result: batches still reach the engine one at a time and in order.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from seawarden.detect.engine import DetectionEngine
    from seawarden.detect.event import Event

T = TypeVar("T")

_END = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetched(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """Yield `items` in order while a worker thread computes up to `depth` items ahead.

    The iterable is consumed entirely in the worker; its exceptions are re-raised here, in order.
    Closing the generator early stops the worker after the item it is computing.
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(obj: object) -> bool:
        while not stop.is_set():
            try:
                q.put(obj, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put(_Failure(exc))
            return
        put(_END)

    worker = threading.Thread(target=work, name="seawarden-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            obj = q.get()
            if obj is _END:
                return
            if isinstance(obj, _Failure):
                raise obj.exc
            yield obj  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


def detect_batches(engine: "DetectionEngine", batches: Iterable[object], depth: int = 2) -> Iterator[list["Event"]]:
    """Events of each batch, in order, as engine.process would give them -- with the batches'
    production (e.g. decoding) and engine.prepare (Arrow -> columns, nearest asset, corridor,
    anchorage, profile of every fix) running in a worker thread, up to `depth` batches ahead
    (two smooth out batches of uneven cost).

    The prepared half is stateless, so the split changes no result; it moves the spatial
    lookups to the second core, next to the decoder."""
    for prep in prefetched((engine.prepare(b) for b in batches), depth):
        yield engine.process(prep)
