"""Store fixtures: every store test runs against both stores (``duckdb``, ``postgis``).

PostGIS tests need ``SEAWARDEN_TEST_PG_DSN`` (``source scripts/postgres.sh`` sets it) and skip with
that reason without it. Each PostGIS store lives in its own fresh schema, dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_real_data import dma_batch
from store_backends import StoreFactory

from seawarden.ingest.batch import DecodedBatch
from seawarden.store.base import Store

BACKENDS = ["duckdb", "postgis"]


@pytest.fixture(scope="session")
def dma(shared_data: Path) -> DecodedBatch:
    return dma_batch(shared_data)


@pytest.fixture(params=BACKENDS)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory of fresh stores of one backend; the same name opens the same store again (a restart)."""
    with StoreFactory(request.param, tmp_path) as factory:
        yield factory


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest, dma: DecodedBatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The DMA data loaded once per module and backend (DuckDB in memory, PostGIS in a fresh schema)."""
    with StoreFactory(request.param, tmp_path_factory.mktemp("loaded")) as factory:
        store = factory("loaded", memory=True)
        store.append(dma)
        yield store
