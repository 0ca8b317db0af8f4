"""Fixtures: a store holding the real-derived Estlink 2 drag scenario with its detected events and alerts,
and a console app over it (tokens of every role).

The console runs on both stores (``duckdb``, ``postgis``): each scenario store is built once per session
and copied per test (a file copy; a schema copied by INSERT ... SELECT). PostGIS needs
``SEAWARDEN_TEST_PG_DSN`` (``source scripts/postgres.sh``) and skips with that reason without it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from seawarden import schema
from seawarden.alert.forensics.demo import DragScenario, estlink2_drag_scenario
from seawarden.alert.pipeline import AlertPipeline
from seawarden.api import Console, Limits, create_app
from seawarden.assets import AssetIndex, load_gridkit_dc
from seawarden.detect.engine import DetectionEngine
from seawarden.detect.eval.inject import static_rows
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import DuckDBStore, alert_store_for
from seawarden.store.duckdb_store import alert_log_path
from seawarden.store.base import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))  # the store tests' backend factory
from store_backends import StoreFactory, pg_dsn  # noqa: E402

from api_support import WATCH_CORRIDOR_M, make_console  # noqa: E402

@pytest.fixture(scope="session")
def scenario(shared_data: Path) -> DragScenario:
    return estlink2_drag_scenario(shared_data)


@pytest.fixture(scope="session")
def estlink(shared_data: Path):
    table = load_gridkit_dc(shared_data / "power_links_entsoe_gridkit" / "gridkit_dc_links_europe.geojson", bbox=(20.0, 57.0, 30.0, 61.0))
    return table.take([table.find("Estlink 2"), table.find("Estlink 1")]).with_overrides(corridor_m=WATCH_CORRIDOR_M)


def fill_scenario(db: Store, scenario: DragScenario, estlink) -> None:
    """The scenario's positions, a static report of the dragger, and its detected events and alerts."""
    static = static_rows(scenario.dragger, np.array([scenario.t_ref_ms - 3_600_000]), imo=9329760, callsign="V3UQ7",
                         name="EAGLE S")
    db.append(DecodedBatch(positions=scenario.positions, static=static, other=schema.OTHER.empty_table()))
    engine = DetectionEngine(index=AssetIndex.build(estlink))
    pipeline = AlertPipeline(alert_store_for(db))
    pos = scenario.positions
    for i in range(0, pos.num_rows, 500):
        pipeline.handle(engine.process(pos.slice(i, 500)))
    pipeline.handle(engine.flush())


@pytest.fixture(scope="session")
def store_file(scenario: DragScenario, estlink, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: the scenario in a DuckDB file (closed)."""
    path = tmp_path_factory.mktemp("console") / "console.duckdb"
    with DuckDBStore(path) as db:
        fill_scenario(db, scenario, estlink)
    return path


@pytest.fixture(scope="session")
def pg_scenario(scenario: DragScenario, estlink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Built once: the scenario in a PostGIS schema; (dsn, schema)."""
    with StoreFactory("postgis", tmp_path_factory.mktemp("pg")) as factory:
        fill_scenario(factory("console"), scenario, estlink)
        yield factory.dsn, factory.schema("console")


def copy_schema(dsn: str, source: str, target: str) -> None:
    """Every row of the store in ``source`` into the fresh store in ``target`` (generated columns are recomputed)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as con, con.transaction():
        tables = con.execute("SELECT table_name, string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) "
                             "FROM information_schema.columns WHERE table_schema = %s AND is_generated = 'NEVER' "
                             "AND table_name <> 'alembic_version' GROUP BY table_name", [source]).fetchall()
        for table, cols in tables:
            con.execute(f'INSERT INTO "{target}"."{table}" ({cols}) SELECT {cols} FROM "{source}"."{table}"')


@pytest.fixture(params=["duckdb", "postgis"])
def open_store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Fresh empty stores of one backend (see tests/store/store_backends.py)."""
    with StoreFactory(request.param, tmp_path) as factory:
        yield factory


@pytest.fixture(params=["duckdb", "postgis"])
def loaded_store(request: pytest.FixtureRequest, store_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the scenario store per test, so writes (alert actions, assets) never leak between tests."""
    if request.param == "duckdb":
        path = tmp_path / "console.duckdb"
        for src, dst in ((store_file, path), (alert_log_path(store_file), alert_log_path(path))):  # a store is two files
            shutil.copy(src, dst)
        db = DuckDBStore(path)
        yield db
        db.close()
        return
    pg_dsn()  # skips with the reason when there is no test server
    dsn, source = request.getfixturevalue("pg_scenario")
    with StoreFactory("postgis", tmp_path) as factory:
        db = factory("copy")
        copy_schema(dsn, source, factory.schema("copy"))
        yield db


@pytest.fixture()
def console(loaded_store: DuckDBStore, estlink) -> Console:
    return make_console(loaded_store, estlink, limits=Limits(rate_per_s=1000, burst=1000))


@pytest.fixture()
def client(console: Console):
    with TestClient(create_app(console)) as c:
        yield c
