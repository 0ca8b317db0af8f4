"""The real public sets: named assets load, licences travel with them, real crossings are found."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod

from seawarden.assets.adapters import load_gridkit_dc, load_scigrid_gas, load_telegeography, pipeline_key
from seawarden.assets.model import AssetTable
from seawarden.assets.spatial import AssetIndex

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize(("name", "kind", "dataset_word", "min_km", "max_km"), [
    ("Estlink 2", "power_cable", "GridKit", 100, 140),  # GridKit route incl. land sections: 122 km
    ("C-Lion1", "telecom_cable", "TeleGeography", 1000, 1300),  # real system ~1,170 km
    ("Balticconnector", "gas_pipeline", "SciGRID", 110, 160),
    ("Nord Stream (line 1)", "gas_pipeline", "SciGRID", 1150, 1300),  # real ~1,224 km
])
def test_named_assets_load(default_assets: AssetTable, name: str, kind: str, dataset_word: str, min_km: float, max_km: float) -> None:
    i = default_assets.find(name)
    assert default_assets.kind[i] == kind
    assert dataset_word in default_assets.dataset[i]
    assert default_assets.licence[i] and default_assets.attribution[i]
    assert min_km < default_assets.length_m()[i] / 1000 < max_km
    assert default_assets.corridor_m[i] == 1852.0


def test_licences_differ_per_set(default_assets: AssetTable) -> None:
    tg = default_assets.find("C-Lion1")
    assert "NC" in default_assets.licence[tg] and "TeleGeography" in default_assets.attribution[tg]
    assert default_assets.licence[default_assets.find("Estlink 2")] == "CC BY 4.0"
    assert default_assets.operator[tg] == "Cinia Oy"  # joined from the v2 details file


def test_scigrid_segments_merge_into_pipelines(shared_data: Path) -> None:
    assert pipeline_key("BalticConnector_2") == "BalticConnector"
    assert pipeline_key("NordStream_14") == "NordStream_1" and pipeline_key("NordStream_20") == "NordStream_2"
    assert pipeline_key("PS_1140") == "PS_1140"
    gas = load_scigrid_gas(shared_data / "gas_pipelines_scigrid" / "IGGINL_PipeSegments_europe.geojson", bbox=(20, 57, 30, 61))
    bc = gas.find("Balticconnector")
    assert shapely.get_num_geometries(gas.geometry[bc]) == 1  # three segments chained into one line
    assert '"BalticConnector1"' in gas.attributes[bc]


def test_gridkit_names_come_from_source_md(shared_data: Path) -> None:
    dc = load_gridkit_dc(shared_data / "power_links_entsoe_gridkit" / "gridkit_dc_links_europe.geojson")
    assert len(dc) == 62
    assert dc.id[dc.find("Estlink 2")] == "gridkit:dc:14816"
    assert dc.name[dc.find("gridkit:dc:5564")] == "BorWin2"  # the extract's own label is kept
    assert dc.name[dc.find("gridkit:dc:5577")] == "DC link 5577"


def test_whole_telegeography_set_with_antimeridian_cables(shared_data: Path) -> None:
    tg = load_telegeography(shared_data / "cables_telegeography")
    raw = json.loads((shared_data / "cables_telegeography" / "v3_copy_from_netglobe_2026-02" / "cable-geo.json").read_text())
    assert len(tg) == len({f["properties"]["id"] for f in raw["features"]})  # 706 features, one asset per cable id
    idx = AssetIndex.build(tg)
    # a Fiji-area point: cables there cross 180; querying both sides finds the same nearest cable
    res = idx.nearest([179.999, -179.999], [-17.0, -17.0], max_distance_m=300_000)
    assert (res.asset_idx >= 0).all() and res.asset_idx[0] == res.asset_idx[1]


def test_distance_to_estlink2_matches_geodesic_to_its_end(default_assets: AssetTable, default_index: AssetIndex) -> None:
    i = default_assets.find("Estlink 2")
    xy = shapely.get_coordinates(default_assets.geometry[i])
    # continue the last segment 3 km beyond the cable's end: the end vertex is the nearest point
    az = GEOD.inv(*xy[-2], *xy[-1])[1] + 180.0  # back azimuth at the end, turned to point onwards
    lon, lat, _ = GEOD.fwd(*xy[-1], az, 3_000.0)
    res = default_index.nearest([lon], [lat])
    assert default_index.assets.id[res.asset_idx[0]] == "gridkit:dc:14816"
    assert res.distance_m[0] == pytest.approx(3_000.0, abs=3.0)
    assert res.km_point[0] == pytest.approx(default_assets.length_m()[i] / 1000.0, abs=0.2)
    assert not res.in_corridor[0]


def test_vessel_across_gulf_of_finland_crosses_c_lion1_once(default_assets: AssetTable, default_index: AssetIndex) -> None:
    c_lion = default_assets.find("C-Lion1")
    # a track from off Espoo south-east towards Tallinn roads at 10 s AIS-like spacing
    lon = np.linspace(24.50, 24.75, 600)
    lat = np.linspace(60.10, 59.55, 600)
    res = default_index.crossings(lon[:-1], lat[:-1], lon[1:], lat[1:])
    mine = res.asset_idx == c_lion
    expected = shapely.intersection(shapely.LineString(np.column_stack([lon, lat])), default_assets.geometry[c_lion])
    assert expected.geom_type == "Point"  # independent planar check: exactly one crossing
    assert mine.sum() == 1
    d = GEOD.inv(res.lon[mine][0], res.lat[mine][0], expected.x, expected.y)[2]
    assert d < 1.0
    # every asset the track crosses is found, and only those (shapely as the oracle)
    track = shapely.LineString(np.column_stack([lon, lat]))
    oracle = {default_assets.id[k] for k in range(len(default_assets)) if shapely.intersects(track, default_assets.geometry[k])}
    assert {default_assets.id[k] for k in res.asset_idx} == oracle


def test_round_trip_track_crosses_twice(default_assets: AssetTable, default_index: AssetIndex) -> None:
    c_lion = default_assets.find("C-Lion1")
    lon = np.r_[np.linspace(24.50, 24.75, 50), np.linspace(24.75, 24.45, 50)]
    lat = np.r_[np.linspace(60.10, 59.55, 50), np.linspace(59.55, 60.05, 50)]
    res = default_index.crossings(lon[:-1], lat[:-1], lon[1:], lat[1:])
    assert (res.asset_idx == c_lion).sum() == 2
