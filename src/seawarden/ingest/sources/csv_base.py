"""The common loop of every CSV archive source: stream raw batches, convert, reject, de-duplicate static."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.rejects import Quarantine, Reason
from seawarden.ingest.sources._csv import (
    CsvRowRejections,
    ProgressCallback,
    RowChecker,
    StaticChangeFilter,
    finish_rejections,
    stream_raw_batches,
)


@dataclass
class Converted:
    """One batch converted to contract tables, before bad rows are dropped (all tables row-aligned)."""

    positions: pa.Table  # one row per input row
    static: pa.Table  # one row per input row
    other: pa.Table | None = None  # one row per input row
    is_position: np.ndarray | None = None  # rows that are position reports (default: all)
    is_other: np.ndarray | None = None  # rows that go to OTHER (default: none)


class CsvArchiveSource:
    """Base of the DMA / NOAA / Kystverket readers. Subclasses say how to recognise and convert a layout."""

    layout = ""
    delimiter = ","
    #: header columns that identify the layout (all must be present)
    signature: tuple[str, ...] = ()

    def __init__(
        self,
        path: str | Path,
        *,
        quarantine: Quarantine | None = None,
        progress: ProgressCallback | None = None,
        block_bytes: int = 4 << 20,
    ) -> None:
        self.path = Path(path)
        self.name = f"{self.layout}-csv:{self.path}"
        self.quarantine = quarantine
        self.progress = progress
        self.block_bytes = block_bytes

    @classmethod
    def matches(cls, header: list[str]) -> bool:
        return all(col in header for col in cls.signature)

    def convert(self, checker: RowChecker, header: list[str]) -> Converted:
        raise NotImplementedError

    def batches(self) -> Iterator[DecodedBatch]:
        statics = StaticChangeFilter()
        first_row = 0
        rejections = CsvRowRejections(str(self.path), self.quarantine)
        for header, raw in stream_raw_batches(
            self.path, self.delimiter, rejections, block_bytes=self.block_bytes, progress=self.progress
        ):
            checker = RowChecker(raw, self.delimiter)
            conv = self.convert(checker, header)
            ok = finish_rejections(checker, rejections, first_row)
            first_row += raw.num_rows
            is_position = conv.is_position if conv.is_position is not None else np.ones(raw.num_rows, bool)
            is_other = conv.is_other if conv.is_other is not None else np.zeros(raw.num_rows, bool)
            out = DecodedBatch()
            out.positions = conv.positions.filter(pa.array(ok & is_position))
            out.static = statics(conv.static.filter(pa.array(ok & is_position)))
            if conv.other is not None:
                out.other = conv.other.filter(pa.array(ok & is_other))
            new_rejections = rejections.take_new()
            out.stats.outcomes[Reason.ACCEPTED] += int(ok.sum())
            out.stats.outcomes.update(new_rejections)
            out.stats.lines = int(ok.sum()) + sum(new_rejections.values())  # every row has one outcome
            out.stats.messages_by_type.update(_count_types(out))
            yield out
        tail = rejections.take_new()  # rows rejected by the parser after the last good batch
        if tail:
            out = DecodedBatch()
            out.stats.outcomes.update(tail)
            out.stats.lines = sum(tail.values())
            yield out


def _count_types(batch: DecodedBatch) -> dict[int, int]:
    counts: dict[int, int] = {}
    for tbl in (batch.positions, batch.static, batch.other):
        if tbl.num_rows:
            types, n = np.unique(tbl.column("msg_type").to_numpy(), return_counts=True)
            for t, k in zip(types.tolist(), n.tolist()):
                counts[t] = counts.get(t, 0) + k
    return counts
