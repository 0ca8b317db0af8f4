"""Spatial context of each fix: nearest asset and corridor (through the assets engine),
known anchorages, and the per-area configuration profile."""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np
import shapely

from seawarden.detect.config import DetectConfig
from seawarden.track.tracker import TrackChunk


class AssetLookup(Protocol):
    """What detectors need from `seawarden.assets.spatial.AssetIndex`."""

    assets: Any  # AssetTable: id, name, criticality, corridor_m ...

    def nearest(self, lon: np.ndarray, lat: np.ndarray, max_distance_m: float = ...) -> Any: ...

    def crossings(self, lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray) -> Any: ...


class SpatialContext:
    """Annotates TrackChunks with asset, corridor, anchorage and profile columns."""

    def __init__(self, config: DetectConfig, index: AssetLookup | None) -> None:
        self.index = index if index is not None and len(index.assets) else None
        self.near_m = float(config.spatial["near_asset_m"])
        self.config = config
        buf_m = float(config.spatial.get("anchorage_buffer_m", 0.0))
        geoms = [g for _, g in config.anchorages]
        if geoms:
            union = shapely.union_all(geoms)
            if buf_m > 0:
                lat_mid = (union.bounds[1] + union.bounds[3]) / 2.0
                # buffer in degrees of latitude; widened in longitude by scaling coordinates
                k = max(math.cos(math.radians(lat_mid)), 0.05)
                scaled = shapely.affinity.scale(union, xfact=k, yfact=1.0, origin=(0, 0))
                union = shapely.affinity.scale(scaled.buffer(buf_m / 111_320.0), xfact=1 / k, yfact=1.0, origin=(0, 0))
            shapely.prepare(union)
            self._anch = union
            self._anch_bounds = union.bounds
        else:
            self._anch = None
        if self.index is not None:
            a = self.index.assets
            self.asset_ids = np.asarray(a.id, dtype=object)
            self.asset_names = np.asarray(a.name, dtype=object)
            self.asset_crit = np.asarray(a.criticality, dtype=np.int64)
        else:
            self.asset_ids = np.empty(0, dtype=object)
            self.asset_names = np.empty(0, dtype=object)
            self.asset_crit = np.empty(0, dtype=np.int64)

    def in_anchorage(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        out = np.zeros(lon.shape[0], bool)
        if self._anch is None or lon.shape[0] == 0:
            return out
        x0, y0, x1, y1 = self._anch_bounds
        cand = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if cand.size:
            out[cand] = shapely.contains_xy(self._anch, lon[cand], lat[cand])
        return out

    def annotate(self, chunk: TrackChunk) -> None:
        fx = chunk.fixes
        n = len(fx)
        if self.index is not None and n:
            r = self.index.nearest(fx.lon, fx.lat, max_distance_m=self.near_m)
            chunk.asset = np.asarray(r.asset_idx, dtype=np.int32)
            chunk.asset_dist_m = np.asarray(r.distance_m, dtype=np.float64)
            chunk.km_point = np.asarray(r.km_point, dtype=np.float64)
            chunk.in_corridor = np.asarray(r.in_corridor, dtype=bool)
        else:
            chunk.asset = np.full(n, -1, np.int32)
            chunk.asset_dist_m = np.full(n, np.inf)
            chunk.km_point = np.full(n, np.nan)
            chunk.in_corridor = np.zeros(n, bool)
        chunk.in_anchorage = self.in_anchorage(fx.lon, fx.lat)
        ids = None
        if self.config.overrides and self.index is not None:
            ids = np.where(chunk.in_corridor, self.asset_ids[np.maximum(chunk.asset, 0)] if len(self.asset_ids) else None, None)
        chunk.profile = self.config.resolve_profiles(fx.lon, fx.lat, ids)

    def asset_info(self, asset: int) -> tuple[str | None, str | None, int]:
        if asset < 0 or self.index is None:
            return None, None, 0
        return str(self.asset_ids[asset]), str(self.asset_names[asset]), int(self.asset_crit[asset])
