"""Compiled rewrites in the detection chain answer exactly like the array code they replaced."""

from __future__ import annotations

import numpy as np
import pytest

from seawarden.detect.detectors.position_jump import _mask_frame, _on_land, deep_inland


def _deep_inland_arrays(lat: np.ndarray, lon: np.ndarray, margin_deg: float) -> np.ndarray:
    """The original formulation: global_land_mask.is_land over 5 rings x 16 bearings."""
    from global_land_mask import globe

    out = _on_land(np.clip(lat, -89.99, 89.99), np.asarray(lon, np.float64), *_mask_frame(globe))
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
