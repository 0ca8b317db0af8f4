"""Context layers: land mask, distance to shore (GSHHS), nearest port (World Port Index), and a
clear typed error when the optional packages are absent."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
import shapely
from pyproj import Geod

from seawarden.assets import context
from seawarden.assets.context import ContextUnavailable

GEOD = Geod(ellps="WGS84")
GULF_OF_FINLAND = (22.0, 59.0, 27.0, 60.8)


def test_missing_packages_raise_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_context(name, *args, **kwargs):
        if name.startswith(("global_land_mask", "tracktable_data")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_context)
    with pytest.raises(ContextUnavailable, match="global-land-mask"):
        context.land_mask()
    with pytest.raises(ContextUnavailable, match="tracktable-data"):
        context.ShoreIndex.build(GULF_OF_FINLAND)
    with pytest.raises(ContextUnavailable, match=r"seawarden\[context\]"):
        context.PortIndex.build()


def test_land_mask() -> None:
    pytest.importorskip("global_land_mask")
    on_land = context.land_mask()
    # Helsinki city centre, open Gulf of Finland, central Sweden, central Baltic, NaN
    got = on_land(np.array([24.94, 24.8, 15.0, 19.5, np.nan]), np.array([60.17, 59.8, 62.0, 57.0, 60.0]))
    assert got.tolist() == [True, False, True, False, False]


def test_distance_to_shore_against_gshhs_geometry() -> None:
    pytest.importorskip("tracktable_data")
    shore = context.ShoreIndex.build(GULF_OF_FINLAND, resolution="i")
    lon = np.array([24.8, 25.5, 26.0])
    lat = np.array([59.8, 59.9, 60.2])
    got = shore.distance_m(lon, lat, max_distance_m=60_000)
    assert np.isfinite(got).all() and (got > 500).all() and (got < 40_000).all()
    # independent: geodesic distance to the densified shoreline vertices near each point
    import pyogrio

    _, table = pyogrio.read_arrow(context._gshhs_path("i"), bbox=GULF_OF_FINLAND)
    rings = shapely.boundary(shapely.from_wkb(table.column(table.column_names[-1]).to_pylist()))
    dense = shapely.get_coordinates(shapely.segmentize(rings, 0.0005))
    for x, y, d in zip(lon, lat, got):
        near = dense[(np.abs(dense[:, 0] - x) < 1.0) & (np.abs(dense[:, 1] - y) < 0.5)]
        _, _, dd = GEOD.inv(np.full(len(near), x), np.full(len(near), y), near[:, 0], near[:, 1])
        assert d == pytest.approx(dd.min(), abs=30.0)  # 0.0005 deg densification leaves < 30 m


def test_nearest_port_and_anchorage() -> None:
    pytest.importorskip("tracktable_data")
    ports = context.PortIndex.build(bbox=(-5, 50, 32, 67))
    res = ports.nearest(np.array([24.95, 4.0]), np.array([60.155, 57.0]), max_distance_m=20_000)
    assert ports.name[res.port_idx[0]] in {"Helsinki", "Helsingfors"}
    lon, lat = ports.lon[res.port_idx[0]], ports.lat[res.port_idx[0]]
    assert res.distance_m[0] == pytest.approx(GEOD.inv(24.95, 60.155, lon, lat)[2], abs=1.0)
    # central North Sea: no port within 20 km, checked against every port by brute force
    assert res.port_idx[1] == -1 and np.isinf(res.distance_m[1])
    assert GEOD.inv(np.full(len(ports.lon), 4.0), np.full(len(ports.lon), 57.0), ports.lon, ports.lat)[2].min() > 20_000
    anch = ports.nearest(np.array([24.95]), np.array([60.155]), max_distance_m=100_000, anchorage_only=True)
    assert ports.has_anchorage[anch.port_idx[0]]
