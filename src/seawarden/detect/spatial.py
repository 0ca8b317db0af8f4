"""Spatial context of each fix: nearest asset and corridor (through the assets engine),
known anchorages, and the per-area configuration profile.

The context of a fix depends on its position only, so it is computed on arrival (`locate`,
safe in a worker thread next to the decoder) and travels with the fix through the reorder
buffer (`Located`) until the tracker's chunk receives it (`apply`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import partial
from typing import Any, Protocol

import numpy as np
import shapely

from seawarden.detect.config import DetectConfig
from seawarden.track.fixes import Fixes
from seawarden.track.tracker import TrackChunk


class AssetLookup(Protocol):
    """What detectors need from `seawarden.assets.spatial.AssetIndex`."""

    assets: Any  # AssetTable: id, name, criticality, corridor_m ...

    def nearest(self, lon: np.ndarray, lat: np.ndarray, max_distance_m: float = ...) -> Any: ...

    def crossings(self, lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray) -> Any: ...


@dataclass
class Located:
    """Fixes with their spatial context, row for row; a row container for ReorderBuffer."""

    fixes: Fixes
    asset: np.ndarray  # int32 nearest asset within near_asset_m, -1 none
    asset_dist_m: np.ndarray  # float64, inf when none
    segment: np.ndarray  # int64 nearest asset segment (for km_point), -1 none
    seg_t: np.ndarray  # float64 parameter along it
    in_corridor: np.ndarray  # bool
    in_anchorage: np.ndarray  # bool
    profile: np.ndarray  # int16

    @property
    def ts(self) -> np.ndarray:
        return self.fixes.ts

    def __len__(self) -> int:
        return len(self.fixes)

    def take(self, idx: np.ndarray) -> "Located":
        return Located(*(getattr(self, f.name).take(idx) if f.name == "fixes" else getattr(self, f.name)[idx]
                         for f in fields(self)))

    @staticmethod
    def concat(parts: list["Located"]) -> "Located":
        if len(parts) == 1:
            return parts[0]
        return Located(*(Fixes.concat([p.fixes for p in parts]) if f.name == "fixes" else
                         np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Located)))

    @staticmethod
    def empty() -> "Located":
        return Located(Fixes.empty(), np.empty(0, np.int32), np.empty(0), np.empty(0, np.int64), np.empty(0),
                       np.empty(0, bool), np.empty(0, bool), np.empty(0, np.int16))


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

    def locate(self, fixes: Fixes) -> Located:
        """Spatial context of every fix (a pure function of its position; thread-safe)."""
        n = len(fixes)
        if self.index is not None and n:
            r = self.index.nearest(fixes.lon, fixes.lat, max_distance_m=self.near_m)
            asset = np.asarray(r.asset_idx, dtype=np.int32)
            dist = np.asarray(r.distance_m, dtype=np.float64)
            segment = np.asarray(r.segment, dtype=np.int64)
            seg_t = np.asarray(r.t, dtype=np.float64)
            in_corr = np.asarray(r.in_corridor, dtype=bool)
        else:
            asset = np.full(n, -1, np.int32)
            dist = np.full(n, np.inf)
            segment = np.full(n, -1, np.int64)
            seg_t = np.full(n, np.nan)
            in_corr = np.zeros(n, bool)
        ids = None
        if self.config.overrides and self.index is not None:
            ids = np.where(in_corr, self.asset_ids[np.maximum(asset, 0)] if len(self.asset_ids) else None, None)
        profile = self.config.resolve_profiles(fixes.lon, fixes.lat, ids)
        return Located(fixes, asset, dist, segment, seg_t, in_corr, self.in_anchorage(fixes.lon, fixes.lat), profile)

    def apply(self, chunk: TrackChunk, located: Located) -> None:
        """Copy the context of the chunk's fixes (`located`, row for row) onto the chunk."""
        chunk.asset = located.asset
        chunk.asset_dist_m = located.asset_dist_m
        chunk.in_corridor = located.in_corridor
        chunk.in_anchorage = located.in_anchorage
        chunk.profile = located.profile
        if self.index is not None and hasattr(self.index, "km_points"):
            chunk.chainage = partial(self.index.km_points, located.asset, located.segment, located.seg_t)

    def annotate(self, chunk: TrackChunk) -> None:
        """locate + apply for a chunk whose fixes were not located on arrival."""
        self.apply(chunk, self.locate(chunk.fixes))

    def asset_info(self, asset: int) -> tuple[str | None, str | None, int]:
        if asset < 0 or self.index is None:
            return None, None, 0
        return str(self.asset_ids[asset]), str(self.asset_names[asset]), int(self.asset_crit[asset])
