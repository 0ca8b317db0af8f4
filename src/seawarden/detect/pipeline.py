"""Overlap producing batches (decoding NMEA, reading files, locating fixes) with detecting on them.

The decoder's and the detectors' compiled kernels release the GIL, so decoding chunk n+1 in a
worker thread while the engine works on chunk n uses the second core without changing a single
result: batches still reach the engine one at a time and in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from seawarden.ingest.prefetch import prefetched

if TYPE_CHECKING:
    from seawarden.detect.engine import DetectionEngine
    from seawarden.detect.event import Event

__all__ = ["detect_batches", "prefetched"]


def detect_batches(engine: "DetectionEngine", batches: Iterable[object], depth: int = 2) -> Iterator[list["Event"]]:
    """Events of each batch, in order, as engine.process would give them -- with the batches'
    production (e.g. decoding) and engine.prepare (Arrow -> columns, nearest asset, corridor,
    anchorage, profile of every fix) running in a worker thread, up to `depth` batches ahead
    (two smooth out batches of uneven cost).

    The prepared half is stateless, so the split changes no result; it moves the spatial
    lookups to the second core, next to the decoder."""
    for prep in prefetched((engine.prepare(b) for b in batches), depth):
        yield engine.process(prep)
