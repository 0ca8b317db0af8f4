"""Run an iterator's production in a worker thread, handing its items over in order.

The NMEA stage-1 kernels and the detectors' spatial kernels release the GIL, so producing item
n+1 there (scanning a chunk, decoding and locating a batch) while the caller works on item n uses
a second core without changing a result.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetched(items: Iterable[T], depth: int = 1, name: str = "seawarden-prefetch") -> Iterator[T]:
    """Yield `items` in order while a worker thread computes up to `depth` items ahead.

    The iterable is consumed entirely in the worker; its exceptions are re-raised here, in order
    (after every item produced before them). Closing the generator early stops the worker after
    the item it is computing.
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

    worker = threading.Thread(target=work, name=name, daemon=True)
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
