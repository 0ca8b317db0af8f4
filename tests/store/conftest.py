"""Store fixtures: the real DMA data in the contract schemas, loaded once into an in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from store_real_data import dma_batch

from seawarden.ingest.batch import DecodedBatch
from seawarden.store import DuckDBStore

EVER = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc))


def canonical(table: pa.Table) -> pa.Table:
    """Rows in one deterministic order (every column a sort key), to compare as multisets."""
    keys = [(name, "ascending") for name in table.column_names]
    return table.take(pc.sort_indices(table, sort_keys=keys))


@pytest.fixture(scope="session")
def dma(shared_data: Path) -> DecodedBatch:
    return dma_batch(shared_data)


@pytest.fixture(scope="module")
def loaded(dma: DecodedBatch) -> Iterator[DuckDBStore]:
    with DuckDBStore(":memory:") as store:
        store.append(dma)
        yield store
