"""Optional context layers for detectors (World Port Index, 1 km land mask), loaded once per
detector. A missing package (extra "context") switches the dependent rule off and is counted in
the engine stats under `<detector>_<layer>_unavailable`, never a crash.

Hot paths do not call the land mask per fix from Python: `land_frame_or_none` hands out the GLOBE
mask with its axes, and `cell_is_land` / `on_land` look it up inside compiled passes, with the
same clamps and truncation as global_land_mask.is_land."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba as nb
import numpy as np

from seawarden.assets.context import ContextUnavailable, PortIndex, land_mask

LandFrame = tuple  # (ocean mask, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min, lon_max)


def port_index_or_none(stats: Any, detector: str) -> PortIndex | None:
    try:
        return PortIndex.build()
    except ContextUnavailable:
        stats[f"{detector}_ports_unavailable"] += 1
        return None


def land_mask_or_none(stats: Any, detector: str) -> Callable | None:
    try:
        return land_mask()
    except ContextUnavailable:
        stats[f"{detector}_land_mask_unavailable"] += 1
        return None


def mask_frame(globe: Any) -> LandFrame:
    """The GLOBE mask and its axes as global_land_mask.is_land reads them (first cell, step, clamps)."""
    la, lo = globe._lat, globe._lon
    return (globe._mask, float(la[0]), float(la[1] - la[0]), float(la.min()), float(la.max()),
            float(lo[0]), float(lo[1] - lo[0]), float(lo.min()), float(lo.max()))


def land_frame_or_none(stats: Any, detector: str) -> LandFrame | None:
    """The land mask frame for compiled lookups, or None (counted) without global-land-mask."""
    try:
        from global_land_mask import globe
    except ImportError:
        stats[f"{detector}_land_mask_unavailable"] += 1
        return None
    return mask_frame(globe)


@nb.njit(cache=True, nogil=True, inline="always")
def cell_is_land(y, x, ocean, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min, lon_max):
    """global_land_mask.is_land of one point; non-finite or out-of-range positions are not land."""
    if not (-90.0 <= y <= 90.0 and -180.0 <= x <= 180.0):
        return False
    y = min(max(y, lat_min), lat_max)
    x = min(max(x, lon_min), lon_max)
    return not ocean[int((y - lat0) / dlat), int((x - lon0) / dlon)]


@nb.njit(cache=True, nogil=True)
def on_land(lat, lon, ocean, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min, lon_max):
    """global_land_mask.is_land for every fix in one compiled pass (same clamps and truncation)."""
    out = np.zeros(lat.size, np.bool_)
    for i in range(lat.size):
        out[i] = cell_is_land(lat[i], lon[i], ocean, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min, lon_max)
    return out
