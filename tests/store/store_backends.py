"""Fresh stores of either backend for tests (tests/alert puts this folder on sys.path to use it too)."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from seawarden.store import DuckDBStore
from seawarden.store.base import Store

PG_DSN_VAR = "SEAWARDEN_TEST_PG_DSN"
_serial = itertools.count()


def pg_dsn() -> str:
    """The test server's DSN, or skip the test saying how to get one."""
    dsn = os.environ.get(PG_DSN_VAR)
    if not dsn:
        pytest.skip(f"{PG_DSN_VAR} is unset: no PostgreSQL + PostGIS test server "
                    "(`source scripts/postgres.sh` installs and starts one on loopback)")
    return dsn


def drop_schemas(dsn: str, schemas: list[str]) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as con:
        for name in schemas:
            con.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


class StoreFactory:
    """Opens stores of one backend by name: DuckDB files under tmp_path, PostGIS schemas unique to this test."""

    def __init__(self, backend: str, tmp_path: Path) -> None:
        self.backend, self.tmp_path = backend, tmp_path
        self.dsn = pg_dsn() if backend == "postgis" else ""
        self.schemas: dict[str, str] = {}
        self.opened: list[Any] = []

    def schema(self, name: str) -> str:
        return self.schemas.setdefault(name, f"t{os.getpid()}_{next(_serial)}_{name}".lower())

    def __call__(self, name: str = "s", *, memory: bool = False, **kwargs: Any) -> Store:
        if self.backend == "duckdb":
            store: Store = DuckDBStore(":memory:" if memory else self.tmp_path / f"{name}.duckdb", **kwargs)
        else:
            from seawarden.store.postgis import PostGISStore

            store = PostGISStore(self.dsn, schema=self.schema(name), **kwargs)
        self.opened.append(store)
        return store

    def spec(self, name: str = "s") -> str:
        """What ``open_store`` / ``--store`` take to reach the store of this name."""
        return str(self.tmp_path / f"{name}.duckdb") if self.backend == "duckdb" else f"{self.dsn}#{self.schema(name)}"

    def __enter__(self) -> "StoreFactory":
        return self

    def __exit__(self, *exc: object) -> None:
        for store in self.opened:
            try:
                store.close()
            except Exception:  # noqa: BLE001 -- already closed by the test
                pass
        if self.schemas:
            drop_schemas(self.dsn, list(self.schemas.values()))
