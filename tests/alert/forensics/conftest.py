"""One real-derived scenario for the forensics tests: normal crossers of Estlink 2 plus one Eagle S-like dragger."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from seawarden import schema
from seawarden.alert.forensics.demo import DragScenario, estlink2_drag_scenario
from seawarden.assets import AssetIndex, load_gridkit_dc
from seawarden.detect.eval.inject import static_rows
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import DuckDBStore

#: A hostile AIS name: evidence packs must escape it.
HOSTILE_NAME = "<script>alert(1)</script>&"


@pytest.fixture(scope="session")
def hostile_name() -> str:
    return HOSTILE_NAME


@pytest.fixture(scope="session")
def gridkit_file(shared_data: Path) -> Path:
    return shared_data / "power_links_entsoe_gridkit" / "gridkit_dc_links_europe.geojson"


@pytest.fixture(scope="session")
def index(gridkit_file: Path) -> AssetIndex:
    return AssetIndex.build(load_gridkit_dc(gridkit_file, (-5.0, 50.0, 32.0, 67.0)))


@pytest.fixture(scope="session")
def scenario(shared_data: Path) -> DragScenario:
    return estlink2_drag_scenario(shared_data)


@pytest.fixture(scope="session")
def store_path(scenario: DragScenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("forensics") / "scenario.duckdb"
    import numpy as np

    static = static_rows(scenario.crossers[0], np.array([scenario.t_ref_ms]), imo=None, callsign="X<Y", name=HOSTILE_NAME)
    with DuckDBStore(path) as db:
        db.append(DecodedBatch(positions=scenario.positions, static=static, other=schema.OTHER.empty_table()))
    return path


@pytest.fixture()
def store(store_path: Path):
    with DuckDBStore(store_path, read_only=True) as db:
        yield db


@pytest.fixture(scope="session")
def window(scenario: DragScenario) -> tuple[datetime, datetime]:
    t_ref = datetime.fromtimestamp(scenario.t_ref_ms / 1000, timezone.utc)
    return t_ref - timedelta(hours=12), t_ref + timedelta(hours=12)
