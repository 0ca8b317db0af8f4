"""Fixtures: a store holding the real-derived Estlink 2 drag scenario with its detected events and alerts,
and a console app over it (tokens of every role)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from seawarden import schema
from seawarden.alert.forensics.demo import DragScenario, estlink2_drag_scenario
from seawarden.alert.pipeline import AlertPipeline
from seawarden.alert.sinks import LiveHub
from seawarden.api import AssetState, Console, Limits, PipelineActions, PositionFeed, ReaderPool, Role, TokenRegistry, create_app
from seawarden.assets import AssetIndex, load_gridkit_dc
from seawarden.detect.engine import DetectionEngine
from seawarden.detect.eval.inject import static_rows
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import DuckDBStore
from seawarden.store.alerts_duckdb import DuckDBAlertStore

TOKENS = {"ada": ("viewer-token-0123456789", Role.viewer), "olga": ("operator-token-0123456789", Role.operator),
          "root": ("admin-token-0123456789abc", Role.admin)}
VIEWER, OPERATOR, ADMIN = (TOKENS[n][0] for n in ("ada", "olga", "root"))
#: as tests/alert: an operator's watch corridor around Estlink 2 (the Eagle S dragged ~100 km)
WATCH_CORRIDOR_M = 40_000.0


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def scenario(shared_data: Path) -> DragScenario:
    return estlink2_drag_scenario(shared_data)


@pytest.fixture(scope="session")
def estlink(shared_data: Path):
    table = load_gridkit_dc(shared_data / "power_links_entsoe_gridkit" / "gridkit_dc_links_europe.geojson", bbox=(20.0, 57.0, 30.0, 61.0))
    return table.take([table.find("Estlink 2"), table.find("Estlink 1")]).with_overrides(corridor_m=WATCH_CORRIDOR_M)


def make_console(db: DuckDBStore, assets, lock: threading.RLock | None = None, **kw) -> Console:
    lock = lock or threading.RLock()
    return Console(readers=ReaderPool(db, lock).get, assets=AssetState(assets), hub=LiveHub(), feed=PositionFeed(),
                   tokens=TokenRegistry(TOKENS), actions=PipelineActions(AlertPipeline(DuckDBAlertStore(db)), lock), **kw)


@pytest.fixture(scope="session")
def store_file(scenario: DragScenario, estlink, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: the scenario's positions, a static report of the dragger, its events and alerts (closed file)."""
    path = tmp_path_factory.mktemp("console") / "console.duckdb"
    with DuckDBStore(path) as db:
        static = static_rows(scenario.dragger, np.array([scenario.t_ref_ms - 3_600_000]), imo=9329760, callsign="V3UQ7",
                             name="EAGLE S")
        db.append(DecodedBatch(positions=scenario.positions, static=static, other=schema.OTHER.empty_table()))
        engine = DetectionEngine(index=AssetIndex.build(estlink))
        pipeline = AlertPipeline(DuckDBAlertStore(db))
        pos = scenario.positions
        for i in range(0, pos.num_rows, 500):
            pipeline.handle(engine.process(pos.slice(i, 500)))
        pipeline.handle(engine.flush())
    return path


@pytest.fixture()
def loaded_store(store_file: Path, tmp_path: Path):
    """A private copy per test, so writes (alert actions, assets) never leak between tests."""
    path = tmp_path / "console.duckdb"
    shutil.copy(store_file, path)
    db = DuckDBStore(path)
    yield db
    db.close()


@pytest.fixture()
def console(loaded_store: DuckDBStore, estlink) -> Console:
    return make_console(loaded_store, estlink, limits=Limits(rate_per_s=1000, burst=1000))


@pytest.fixture()
def client(console: Console):
    with TestClient(create_app(console)) as c:
        yield c
