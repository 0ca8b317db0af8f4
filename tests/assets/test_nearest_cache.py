"""The fine-cell candidate cache behind SegmentIndex.nearest_segment answers exactly what a full
window scan answers (same segment, distance and parameter), however often and in whatever order
cells are visited, and starts afresh when full."""

from __future__ import annotations

import numpy as np
import pytest

from seawarden.assets import _kernels as K
from seawarden.assets import spatial
from seawarden.assets.spatial import AssetIndex, SegmentIndex


def direct(index: SegmentIndex, lon: np.ndarray, lat: np.ndarray, radius: float):
    s = index.segments
    seg, dist, t = np.empty(lon.size, np.int64), np.empty(lon.size), np.empty(lon.size)
    K.nearest_kernel(lon, lat, radius, index.reach_m, *index._grid, s.ax, s.ay, s.bx, s.by, seg, dist, t)
    return seg, dist, t


def query_points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scattered points over Danish and Baltic waters plus slow random-walk 'tracks' (revisited cells)."""
    rng = np.random.default_rng(seed)
    lon = np.concatenate([rng.uniform(7.0, 30.0, n), 11.0 + np.cumsum(rng.normal(0, 2e-4, n)),
                          24.5 + np.cumsum(rng.normal(0, 2e-4, n)), [np.nan, 179.99, -180.0, 0.0]])
    lat = np.concatenate([rng.uniform(53.5, 61.0, n), 55.5 + np.cumsum(rng.normal(0, 1e-4, n)),
                          59.8 + np.cumsum(rng.normal(0, 1e-4, n)), [55.0, 60.0, 90.0, -90.0]])
    return lon, lat


@pytest.mark.parametrize("radius", [20_000.0, 12_000.0])
def test_cached_nearest_equals_full_scan_on_real_assets(default_index: AssetIndex, radius: float) -> None:
    index = default_index._index
    lon, lat = query_points(20_000, seed=3)
    expected = direct(index, lon, lat, radius)
    assert (expected[0] >= 0).sum() > 10_000  # the comparison covers many real hits
    for _ in range(2):  # first pass fills the cache, second reads it
        got = index.nearest_segment(lon, lat, radius)
        for e, g in zip(expected, got):
            np.testing.assert_array_equal(g, e)
    # a shuffled order reaches the cells in another sequence: same answers
    perm = np.random.default_rng(0).permutation(lon.size)
    got = index.nearest_segment(lon[perm], lat[perm], radius)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e[perm])


def test_full_cache_starts_afresh_with_the_same_answers(default_index: AssetIndex, monkeypatch) -> None:
    index = SegmentIndex(default_index._index.segments)
    monkeypatch.setattr(spatial, "MAX_CACHED_CELLS", 50)
    lon, lat = query_points(2_000, seed=5)
    expected = direct(index, lon, lat, 20_000.0)
    for k in range(0, lon.size, 500):
        got = index.nearest_segment(lon[k:k + 500], lat[k:k + 500], 20_000.0)
        for e, g in zip(expected, got):
            np.testing.assert_array_equal(g, e[k:k + 500])
    assert 0 < int(index._caches[20_000.0].state[0]) < 2 * 500 + 50
