"""Spatial engine against independent pyproj geodesics and shapely planar intersections."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from seawarden.assets.model import AssetTable
from seawarden.assets.spatial import AssetIndex

GEOD = Geod(ellps="WGS84")


def brute_distance(lon: float, lat: float, line: shapely.Geometry) -> float:
    """Geodesic minimum over a ~2 m densification of the lon/lat-straight line (independent oracle),
    restricted to the part of the line within 0.5 degrees for speed."""
    near = shapely.clip_by_rect(line, lon - 0.6, lat - 0.3, lon + 0.6, lat + 0.3)
    if shapely.is_empty(near):
        return np.inf
    dense = shapely.get_coordinates(shapely.segmentize(near, 0.00002))
    _, _, d = GEOD.inv(np.full(len(dense), lon), np.full(len(dense), lat), dense[:, 0], dense[:, 1])
    return float(d.min())


def table(*rows: dict) -> AssetTable:
    return AssetTable.from_rows([{"id": f"a{i}", "name": f"A{i}", "kind": "telecom_cable", **r} for i, r in enumerate(rows)])


@pytest.fixture(scope="module")
def baltic_like() -> AssetIndex:
    return AssetIndex.build(table(
        {"geometry": shapely.LineString([(20.0, 60.0), (22.0, 60.5), (24.0, 60.0)])},
        {"geometry": shapely.LineString([(20.0, 59.0), (26.0, 59.2)]), "kind": "power_cable", "corridor_m": 500.0},
        {"geometry": shapely.box(25.0, 58.0, 26.0, 58.5), "kind": "area", "name": "exercise area"},
    ))


def test_nearest_distances_agree_with_geodesics_at_60n(baltic_like: AssetIndex) -> None:
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(19.5, 26.5, 400), rng.uniform(58.8, 60.8, 400)
    res = baltic_like.nearest(lon, lat, max_distance_m=20_000)
    lines = baltic_like.assets.geometry
    checked = 0
    for i in np.flatnonzero((res.asset_idx >= 0) & (res.asset_idx < 2)):
        expected = min(brute_distance(lon[i], lat[i], lines[0]), brute_distance(lon[i], lat[i], lines[1]))
        assert res.distance_m[i] == pytest.approx(expected, abs=3.0)
        checked += 1
    assert checked > 50
    # and every point without a result is really farther than 20 km from both lines
    for i in np.flatnonzero(res.asset_idx < 0)[:60]:
        assert min(brute_distance(lon[i], lat[i], lines[0]), brute_distance(lon[i], lat[i], lines[1])) > 19_990


def test_km_point_and_corridor(baltic_like: AssetIndex) -> None:
    # a point about 300 m north of cable 1, a sixth of the way along it
    lon_m, lat_m = 21.0, 59.0 + 0.2 / 6
    lon_p, lat_p, _ = GEOD.fwd(lon_m, lat_m, 0.0, 300.0)
    res = baltic_like.nearest([lon_p], [lat_p])
    assert res.asset_idx[0] == 1
    assert res.distance_m[0] == pytest.approx(brute_distance(lon_p, lat_p, baltic_like.assets.geometry[1]), abs=2.0)
    along = GEOD.geometry_length(shapely.segmentize(shapely.LineString([(20.0, 59.0), (lon_m, lat_m)]), 0.001))
    assert res.km_point[0] == pytest.approx(along / 1000.0, abs=0.05)
    assert res.in_corridor[0]  # 300 m <= 500 m corridor
    lon_q, lat_q, _ = GEOD.fwd(lon_m, lat_m, 180.0, 800.0)
    far = baltic_like.nearest([lon_q], [lat_q])
    assert far.asset_idx[0] == 1 and not far.in_corridor[0]


def test_endpoint_distance_equals_geodesic_to_the_vertex(baltic_like: AssetIndex) -> None:
    # beyond the western end of cable 0, the nearest point is its first vertex
    lon, lat, _ = GEOD.fwd(20.0, 60.0, 250.0, 12_345.0)
    res = baltic_like.nearest([lon], [lat])
    assert res.asset_idx[0] == 0
    assert res.distance_m[0] == pytest.approx(12_345.0, abs=2.0)
    assert res.km_point[0] == pytest.approx(0.0, abs=1e-9)


def test_area_inside_is_distance_zero_and_outside_measures_boundary(baltic_like: AssetIndex) -> None:
    res = baltic_like.nearest([25.5, 25.5, 30.0, np.nan], [58.25, 57.95, 58.0, 58.0])
    assert res.asset_idx[0] == 2 and res.distance_m[0] == 0.0 and res.in_corridor[0] and np.isnan(res.km_point[0])
    _, _, expected = GEOD.inv(25.5, 57.95, 25.5, 58.0)
    assert res.asset_idx[1] == 2 and res.distance_m[1] == pytest.approx(expected, abs=2.0) and not res.in_corridor[1]
    assert res.asset_idx[2] == -1 and np.isinf(res.distance_m[2]) and np.isnan(res.km_point[2])
    assert res.asset_idx[3] == -1  # NaN position: no answer, no crash


def test_crossing_once_twice_and_never(baltic_like: AssetIndex) -> None:
    cable = baltic_like.assets.geometry[1]
    # one straight pass cut into 40 AIS-like pairs: exactly one crossing
    lat_track = np.linspace(58.9, 59.4, 41)
    lon_track = np.linspace(22.90, 23.05, 41)
    res = baltic_like.crossings(lon_track[:-1], lat_track[:-1], lon_track[1:], lat_track[1:])
    cable1 = res.asset_idx == 1
    assert cable1.sum() == 1
    expected = shapely.intersection(shapely.LineString(np.column_stack([lon_track, lat_track])), cable)
    assert res.lon[cable1][0] == pytest.approx(expected.x, abs=1e-9)
    assert res.lat[cable1][0] == pytest.approx(expected.y, abs=1e-9)
    k = res.pair_idx[cable1][0]
    assert 0.0 <= res.frac[cable1][0] < 1.0
    assert res.lat[cable1][0] == pytest.approx(lat_track[k] + res.frac[cable1][0] * (lat_track[k + 1] - lat_track[k]), abs=1e-9)
    along = GEOD.geometry_length(shapely.segmentize(shapely.LineString([(20.0, 59.0), (expected.x, expected.y)]), 0.001))
    assert res.km_point[cable1][0] == pytest.approx(along / 1000.0, abs=0.05)
    assert 60.0 < res.angle_deg[cable1][0] < 90.0
    # out and back: two crossings; running parallel: none
    out_back = baltic_like.crossings([23.0, 23.0], [58.9, 59.3], [23.0, 23.0], [59.3, 58.9])
    assert (out_back.asset_idx == 1).sum() == 2
    parallel = baltic_like.crossings([21.0], [59.05], [25.0], [59.05 + 4 * 0.2 / 6])
    assert len(parallel) == 0


def test_crossing_through_a_vertex_counts_once() -> None:
    idx = AssetIndex.build(table({"geometry": shapely.LineString([(10.0, 55.0), (10.5, 55.5), (11.0, 55.0)])}))
    res = idx.crossings([10.5], [55.8], [10.5], [55.2])  # passes exactly through the apex vertex
    assert len(res) == 1
    # a track whose fix lies exactly on the cable: the two pairs touching it report one crossing
    res2 = idx.crossings([10.25, 10.25], [55.5, 55.25], [10.25, 10.25], [55.25, 55.0])
    assert len(res2) == 1 and res2.pair_idx[0] == 1 and res2.frac[0] == 0.0


def test_antimeridian_line_and_queries() -> None:
    idx = AssetIndex.build(table({"geometry": shapely.LineString([(179.5, -17.0), (-179.5, -17.2)])}))
    assert idx.assets.geometry[0].geom_type == "LineString"  # not split by the table...
    res = idx.nearest([179.99, -179.99, 180.0], [-16.95, -16.95, -17.1])
    assert (res.asset_idx == 0).all()
    for lon, lat, d in zip([179.99, -179.99], [-16.95, -16.95], res.distance_m[:2]):
        # independent: geodesic to the densified crossing line, written unwrapped east of 180
        line = shapely.LineString([(179.5, -17.0), (180.5, -17.2)])
        dense = shapely.get_coordinates(shapely.segmentize(line, 0.00002))
        _, _, dd = GEOD.inv(np.full(len(dense), lon), np.full(len(dense), lat), dense[:, 0], dense[:, 1])
        assert d == pytest.approx(dd.min(), abs=3.0)
    cross = idx.crossings([-179.9], [-16.5], [-179.9], [-17.8])
    assert len(cross) == 1 and cross.lon[0] == pytest.approx(-179.9)


def test_multipart_km_point_continues_across_parts() -> None:
    geom = shapely.MultiLineString([[(0.0, 60.0), (1.0, 60.0)], [(2.0, 60.0), (3.0, 60.0)]])
    idx = AssetIndex.build(table({"geometry": geom}))
    res = idx.nearest([2.5], [60.001])
    part1 = GEOD.inv(0.0, 60.0, 1.0, 60.0)[2]
    assert res.km_point[0] == pytest.approx((part1 + GEOD.inv(2.0, 60.0, 2.5, 60.0)[2]) / 1000.0, abs=0.05)


def test_empty_registry_answers_nothing() -> None:
    idx = AssetIndex.build(AssetTable.empty())
    res = idx.nearest([24.0], [60.0])
    assert res.asset_idx[0] == -1 and np.isinf(res.distance_m[0])
    assert len(idx.crossings([24.0], [60.0], [24.1], [60.1])) == 0
