"""Fixtures: the Eagle S / Estlink 2 replay (real relocated tracks + injected drag, the real
DetectionEngine and the real Estlink 2 route from GridKit), computed once per session."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seawarden.assets import AssetIndex, load_gridkit_dc
from seawarden.detect import DetectionEngine
from seawarden.detect.eval.scenarios import DEFAULT_SEED, baltic_eagle_s_estlink2
from seawarden.detect.event import Event
from seawarden.store import alert_store_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))  # the store tests' backend factory
from store_backends import StoreFactory  # noqa: E402

GRIDKIT_DC = "power_links_entsoe_gridkit/gridkit_dc_links_europe.geojson"
#: An operator's watch corridor around Estlink 2 in the Gulf of Finland (the Eagle S dragged ~100 km):
#: the detector needs the 20-min sustained slowdown to happen inside the corridor.
WATCH_CORRIDOR_M = 40_000.0


@pytest.fixture(scope="session")
def estlink_assets(shared_data: Path):
    table = load_gridkit_dc(shared_data / GRIDKIT_DC, bbox=(20.0, 57.0, 30.0, 61.0))
    return table.take([table.find("Estlink 2")]).with_overrides(corridor_m=WATCH_CORRIDOR_M)


@pytest.fixture(scope="session")
def eagle_s(shared_data: Path):
    return baltic_eagle_s_estlink2(shared_data, DEFAULT_SEED)


@pytest.fixture(scope="session")
def eagle_s_batches(shared_data: Path, eagle_s, estlink_assets) -> list[list[Event]]:
    """Events as the engine hands them out, one list per 500-row batch (+ the flush)."""
    engine = DetectionEngine(index=AssetIndex.build(estlink_assets))
    pos = eagle_s.positions
    out = [engine.process(pos.slice(i, 500)) for i in range(0, pos.num_rows, 500)]
    out.append(engine.flush())
    return out


@pytest.fixture(params=["duckdb", "postgis"])
def alert_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., object]]:
    """Opens AlertStores of one backend by name (a fresh one per name; the same name reaches the same data)."""
    with StoreFactory(request.param, tmp_path) as stores:
        yield lambda name="alerts": alert_store_for(stores(name))


@pytest.fixture(params=["duckdb", "duckdb+working-set", "postgis"])
def alert_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """One AlertStore; on DuckDB also behind the in-memory working set its one writing process keeps
    (``pipeline_store_for``): every pipeline test must give the same answers through it."""
    backend, _, layer = request.param.partition("+")
    with StoreFactory(backend, tmp_path) as stores:
        store = alert_store_for(stores("alerts"))
        if layer:
            from seawarden.alert.working_set import AlertWorkingSet

            store = AlertWorkingSet(store)
        yield store
