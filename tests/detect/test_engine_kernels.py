"""Compiled rewrites in the detection chain answer exactly like the array code they replaced."""

from __future__ import annotations

import numpy as np
import pytest

from seawarden.detect.detectors.context import mask_frame, on_land
from seawarden.detect.detectors.position_jump import deep_inland
from seawarden.track.state import NO_TIME


def _deep_inland_arrays(lat: np.ndarray, lon: np.ndarray, margin_deg: float) -> np.ndarray:
    """The original formulation: global_land_mask.is_land over 5 rings x 16 bearings."""
    from global_land_mask import globe

    out = on_land(np.clip(lat, -89.99, 89.99), np.asarray(lon, np.float64), *mask_frame(globe))
    idx = np.flatnonzero(out)
    ang = np.radians(np.arange(16) * 22.5)
    for r in np.linspace(margin_deg / 5.0, margin_deg, 5):
        if not idx.size:
            break
        la = np.clip(lat[idx, None] + r * np.cos(ang)[None, :], -89.99, 89.99)
        k = np.maximum(np.cos(np.radians(lat[idx])), 0.05)[:, None]
        lo = (lon[idx, None] + r * np.sin(ang)[None, :] / k + 180.0) % 360.0 - 180.0
        ok = globe.is_land(la.ravel(), lo.ravel()).reshape(la.shape).all(axis=1)
        out[idx[~ok]] = False
        idx = idx[ok]
    return out


@pytest.mark.parametrize("margin", [0.05, 0.5])
def test_deep_inland_matches_the_ring_lookup_of_global_land_mask(margin):
    pytest.importorskip("global_land_mask")
    rng = np.random.default_rng(11)
    # Danish straits (coasts, harbours, islands) and the whole globe incl. poles and antimeridian
    lat = np.concatenate([rng.uniform(53, 60, 60_000), rng.uniform(-90, 90, 60_000), [89.999, -89.999, 0.0]])
    lon = np.concatenate([rng.uniform(5, 15, 60_000), rng.uniform(-180, 180, 60_000), [179.999, -180.0, 180.0]])
    got = deep_inland(lat, lon, margin)
    assert got.any() and not got.all()
    assert np.array_equal(got, _deep_inland_arrays(lat, lon, margin))


def test_on_land_matches_global_land_mask():
    pytest.importorskip("global_land_mask")
    from global_land_mask import globe

    rng = np.random.default_rng(5)
    lat = np.concatenate([rng.uniform(53, 60, 50_000), rng.uniform(-90, 90, 50_000)])
    lon = np.concatenate([rng.uniform(5, 15, 50_000), rng.uniform(-180, 180, 50_000)])
    got = on_land(lat, lon, *mask_frame(globe))
    assert got.any() and not got.all()
    assert np.array_equal(got, globe.is_land(lat, lon))


@pytest.mark.parametrize("margin_m", [0.0, 1500.0])
def test_paths_blocked_matches_the_per_path_land_test(margin_m):
    """approach's compiled land test of all predicted paths answers like path_blocked path by path
    (Danish straits and the NY Bight: islands, peninsulas and open water; paths up to 60 km, some
    across the antimeridian, some shorter than both margins)."""
    pytest.importorskip("global_land_mask")
    from global_land_mask import globe

    from seawarden.assets.context import land_mask
    from seawarden.detect.detectors.approach import path_blocked, paths_blocked

    rng = np.random.default_rng(7)
    n = 1500
    lat0 = np.concatenate([rng.uniform(54, 58, n), rng.uniform(40.3, 41.0, n), rng.uniform(-60, 60, 50)])
    lon0 = np.concatenate([rng.uniform(8, 13, n), rng.uniform(-74.3, -73.3, n), rng.uniform(179.7, 180, 50)])
    brg = rng.uniform(0, 2 * np.pi, lat0.size)
    dist_deg = rng.uniform(0.0, 0.55, lat0.size)
    lat1 = lat0 + dist_deg * np.cos(brg)
    lon1 = lon0 + dist_deg * np.sin(brg) / np.cos(np.radians(lat0))
    lon1 = (lon1 + 180.0) % 360.0 - 180.0
    ref = np.array([path_blocked(land_mask(), *map(float, (a, b, c, d)), margin_m)
                    for a, b, c, d in zip(lat0, lon0, lat1, lon1)])
    got = paths_blocked(lat0, lon0, lat1, lon1, np.full(lat0.size, margin_m), *mask_frame(globe))
    assert 0.1 < ref.mean() < 0.9
    assert np.array_equal(got, ref)


def _read_by_a_scan_reference(tick_ms, tick0, slot, sub, ts):
    """Replay rendezvous._kernel's bookkeeping: which fix does each scan read per vessel?"""
    latest, read, tick = {}, set(), tick0
    for i in range(ts.size):
        tk = ts[i] // tick_ms
        if tk > tick:
            if tick != NO_TIME:
                read.update(latest.values())
            tick = tk
        if sub[i] == 0:
            latest[int(slot[i])] = i
    read.update(latest.values())  # read by the scans of later chunks
    return np.isin(np.arange(ts.size), sorted(read))


@pytest.mark.parametrize("tick0", [NO_TIME, 0])
def test_rendezvous_reads_only_the_fixes_a_scan_sees(tick0):
    from seawarden.detect.detectors.rendezvous import _read_by_a_scan

    rng = np.random.default_rng(3)
    n = 20_000
    ts = np.sort(rng.integers(0, 7_200_000, n)) + rng.integers(-30_000, 1, n) * (rng.random(n) < 0.1)  # some disorder
    slot = rng.integers(0, 300, n)
    sub = (rng.random(n) < 0.1).astype(np.int8)
    got = _read_by_a_scan(600_000, tick0, slot, sub, ts, 300)
    assert 0 < got.sum() < n
    assert np.array_equal(got, _read_by_a_scan_reference(600_000, tick0, slot, sub, ts))
