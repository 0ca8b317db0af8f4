"""Store fixtures: the real DMA data in the contract schemas, loaded once into an in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_real_data import dma_batch

from seawarden.ingest.batch import DecodedBatch
from seawarden.store import DuckDBStore

@pytest.fixture(scope="session")
def dma(shared_data: Path) -> DecodedBatch:
    return dma_batch(shared_data)


@pytest.fixture(scope="module")
def loaded(dma: DecodedBatch) -> Iterator[DuckDBStore]:
    with DuckDBStore(":memory:") as store:
        store.append(dma)
        yield store
