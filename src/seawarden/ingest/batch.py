"""What every source yields: positions, static data and other messages as Arrow tables."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from seawarden import schema
from seawarden.ingest.rejects import IngestStats


@dataclass
class DecodedBatch:
    """A slice of decoded AIS in the contract schemas of :mod:`seawarden.schema`.

    Rows inside a table are in arrival order, not necessarily time order (feeds interleave
    stations); the tracker sorts per vessel.
    """

    positions: pa.Table = field(default_factory=lambda: schema.empty(schema.POSITIONS))
    static: pa.Table = field(default_factory=lambda: schema.empty(schema.STATIC))
    other: pa.Table = field(default_factory=lambda: schema.empty(schema.OTHER))
    stats: IngestStats = field(default_factory=IngestStats)

    @property
    def n_rows(self) -> int:
        return self.positions.num_rows + self.static.num_rows + self.other.num_rows

    @staticmethod
    def concat(batches: Iterable["DecodedBatch"]) -> "DecodedBatch":
        batches = list(batches)
        out = DecodedBatch()
        if not batches:
            return out
        out.positions = pa.concat_tables([b.positions for b in batches])
        out.static = pa.concat_tables([b.static for b in batches])
        out.other = pa.concat_tables([b.other for b in batches])
        for b in batches:
            out.stats.merge(b.stats)
        return out


class Source(Protocol):
    """Anything AIS arrives through: a file, an archive, a live socket."""

    #: human-readable origin ("file:/data/x.nmea", "tcp://153.44.253.27:5631", ...)
    name: str

    def batches(self) -> Iterator[DecodedBatch]:
        """Yield decoded batches until the source is exhausted (or forever, for live feeds)."""
        ...
