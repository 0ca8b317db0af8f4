"""Write decoded batches as Parquet: positions to OUT.parquet, static and other beside it.

Streaming (one row group per batch), so a decode of any size never holds the whole
archive in memory; ``ParquetSource`` reads the three files back as one source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.rejects import IngestStats


def sibling_paths(out: Path) -> dict[str, Path]:
    """positions -> OUT.parquet, static -> OUT.static.parquet, other -> OUT.other.parquet."""
    stem = out.name[: -len(".parquet")] if out.name.endswith(".parquet") else out.name
    return {
        "positions": out,
        "static": out.with_name(f"{stem}.static.parquet"),
        "other": out.with_name(f"{stem}.other.parquet"),
    }


def write_parquet(batches: Iterable[DecodedBatch], out: str | Path) -> IngestStats:
    """Write every batch; returns the merged statistics of what was read."""
    paths = sibling_paths(Path(out))
    contracts = {"positions": schema.POSITIONS, "static": schema.STATIC, "other": schema.OTHER}
    writers = {name: pq.ParquetWriter(path, contracts[name], compression="zstd") for name, path in paths.items()}
    stats = IngestStats()
    try:
        for batch in batches:
            stats.merge(batch.stats)
            for name, writer in writers.items():
                table: pa.Table = getattr(batch, name)
                if table.num_rows:
                    writer.write_table(table)
    finally:
        for writer in writers.values():
            writer.close()
    return stats


def tee_stats(batches: Iterable[DecodedBatch], into: IngestStats) -> Iterator[DecodedBatch]:
    """Pass batches through while adding their statistics to ``into``."""
    for batch in batches:
        into.merge(batch.stats)
        yield batch
