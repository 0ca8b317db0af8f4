"""Batch spatial queries against the seabed: the hot path of every detector.

Indexes 2-vertex segments (never whole lines: long cables' bounding boxes overlap everything) in a
uniform metric grid and answers nearest/corridor and crossing questions for whole arrays at once with
compiled kernels. Distances are metres on WGS84 (see `_kernels` for the frame and its accuracy).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely

from seawarden.assets import _kernels as K
from seawarden.assets.geometry import Segments
from seawarden.assets.model import AssetKind, AssetTable


def _f64(a: np.ndarray | list[float] | float) -> np.ndarray:
    return np.ascontiguousarray(np.atleast_1d(np.asarray(a, dtype=np.float64)))


#: fine cells (m) whose candidate segments nearest_segment remembers: ships report every few seconds
#: and keep to lanes, so a cell is typically queried many times after the one scan that fills it
FINE_CELL_M = 500.0
#: fine cells remembered per query radius before the cache starts afresh (~25 MB at 10 candidates/cell)
MAX_CACHED_CELLS = 1 << 20


class _CandidateCache:
    """Open-addressing map fine cell -> candidate segments (CSR), filled by K.nearest_cached_kernel."""

    def __init__(self) -> None:
        self.hkeys = np.full(1 << 12, K.CACHE_EMPTY, dtype=np.int64)
        self.hvals = np.zeros(1 << 12, dtype=np.int64)
        self.cstart = np.zeros(1 << 11, dtype=np.int64)
        self.citems = np.zeros(1 << 14, dtype=np.int32)
        self.state = np.zeros(2, dtype=np.int64)  # cells, items

    def full(self) -> bool:
        return int(self.state[0]) >= MAX_CACHED_CELLS


class SegmentIndex:
    """Grid of segment references with exact nearest-segment and segment-crossing queries.

    Generic over what the segments belong to (`segments.owner`): assets, coastlines, ports
    (a port is a zero-length segment)."""

    def __init__(self, segments: Segments, cell_m: float = 10_000.0, spacing_m: float | None = None,
                 fine_m: float = FINE_CELL_M):
        if cell_m <= 0 or fine_m <= 0:
            raise ValueError("cell_m and fine_m must be > 0")
        self.segments = segments
        self.cell_m = float(cell_m)
        self.spacing_m = float(spacing_m if spacing_m is not None else cell_m / 2.0)
        s = segments
        self._grid = K.build_grid(s.ax, s.ay, s.bx, s.by, self.cell_m, self.spacing_m)
        self._fine_deg = float(fine_m) / K.M_PER_DEG_LAT_MIN
        self._caches: dict[float, _CandidateCache] = {}
        self._lock = threading.Lock()

    @property
    def reach_m(self) -> float:
        """How far a segment may lie outside the cells it is registered in."""
        return self.spacing_m / 2.0

    def nearest_segment(self, lon: np.ndarray, lat: np.ndarray, max_distance_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(segment index or -1, distance m or inf, parameter 0..1 along the segment or NaN)."""
        lon, lat = _f64(lon), _f64(lat)
        if lon.shape != lat.shape:
            raise ValueError(f"lon and lat differ in shape: {lon.shape} vs {lat.shape}")
        n = lon.size
        seg = np.empty(n, dtype=np.int64)
        dist = np.empty(n)
        t = np.empty(n)
        s = self.segments
        radius = float(max_distance_m)
        if radius + self.reach_m < self.cell_m:  # a window of a few coarse cells: scanning it is cheaper
            K.nearest_kernel(lon, lat, radius, self.reach_m, *self._grid, s.ax, s.ay, s.bx, s.by, seg, dist, t)
            return seg, dist, t
        with self._lock:  # the cache is shared state; the kernel itself releases the GIL
            cache = self._caches.get(radius)
            if cache is None or cache.full():
                cache = self._caches[radius] = _CandidateCache()
            c = cache
            c.hkeys, c.hvals, c.cstart, c.citems = K.nearest_cached_kernel(
                lon, lat, radius, self.reach_m, self._fine_deg, *self._grid, s.ax, s.ay, s.bx, s.by,
                c.hkeys, c.hvals, c.cstart, c.citems, c.state, seg, dist, t)
        return seg, dist, t

    def crossing_segments(self, lon0, lat0, lon1, lat1):
        """(pair, segment, t along the pair, u along the segment, angle deg) per proper crossing."""
        arrs = [_f64(a) for a in (lon0, lat0, lon1, lat1)]
        if len({a.shape for a in arrs}) != 1:
            raise ValueError("lon0, lat0, lon1, lat1 must have the same shape")
        s = self.segments
        return K.crossings_kernel(*arrs, self.spacing_m, self.reach_m, *self._grid, s.ax, s.ay, s.bx, s.by, s.last_in_part)


class NearestResult:
    """Per query point (arrays of length N). km_point counts from the asset's start (NaN for areas).

    km_point is measured on first use: the detection engine asks for the nearest asset of every
    fix but needs the chainage only for the few that become events."""

    def __init__(self, asset_idx: np.ndarray, distance_m: np.ndarray, in_corridor: np.ndarray,
                 segment: np.ndarray, t: np.ndarray, segments: Segments, is_area: np.ndarray) -> None:
        self.asset_idx = asset_idx  # int32, -1 when nothing within max_distance_m
        self.distance_m = distance_m  # float64, inf when none; 0 inside an area
        self.in_corridor = in_corridor  # bool, distance_m <= that asset's corridor_m
        self.segment = segment  # int64 nearest indexed segment, -1 none (or inside an area)
        self.t = t  # parameter 0..1 along that segment
        self._segments = segments
        self._is_area = is_area
        self._km: np.ndarray | None = None

    @property
    def km_point(self) -> np.ndarray:
        if self._km is None:
            self._km = km_points(self._segments, self._is_area, self.asset_idx, self.segment, self.t)
        return self._km


def km_points(segments: Segments, is_area: np.ndarray, asset_idx: np.ndarray, segment: np.ndarray,
              t: np.ndarray) -> np.ndarray:
    """Chainage (km from the asset's start) of points at parameter t along `segment` (-1: none);
    NaN where there is no segment or the asset is an area."""
    km = np.full(segment.size, np.nan)
    found = np.flatnonzero(segment >= 0)
    if found.size:
        seg = segment[found]
        s = segments
        km[found] = s.km0[seg] + K.along_m(seg, t[found], s.ax, s.ay, s.bx, s.by) / 1000.0
    km[(asset_idx >= 0) & is_area[np.maximum(asset_idx, 0)]] = np.nan
    return km


@dataclass(frozen=True)
class CrossingResult:
    """One row per crossing of a vessel segment (input pair) with an asset, sorted by pair then frac."""

    pair_idx: np.ndarray  # int64
    asset_idx: np.ndarray  # int32
    lon: np.ndarray
    lat: np.ndarray
    km_point: np.ndarray
    angle_deg: np.ndarray  # 0..90 between the vessel's and the asset's direction
    frac: np.ndarray  # 0..1 along the vessel segment

    def __len__(self) -> int:
        return len(self.pair_idx)


#: crossings of one vessel segment with one asset closer than this are one crossing
#: (overlapping duplicate parts are common in map-derived cable data)
DUPLICATE_CROSSING_M = 25.0


class AssetIndex:
    """Spatial index over an AssetTable; every query is vectorised over N positions."""

    def __init__(self, assets: AssetTable, segments: Segments, index: SegmentIndex):
        self.assets = assets
        self._segments = segments
        self._index = index
        kinds = assets.kind.astype(str)
        self._is_area = kinds == AssetKind.AREA.value
        self._area_ids = np.flatnonzero(self._is_area)
        self._area_bounds = shapely.bounds(assets.geometry[self._area_ids]) if len(self._area_ids) else np.empty((0, 4))
        for g in assets.geometry[self._area_ids]:
            shapely.prepare(g)

    @classmethod
    def build(cls, assets: AssetTable, cell_m: float = 10_000) -> AssetIndex:
        segments = Segments.from_geometries(assets.geometry)
        return cls(assets, segments, SegmentIndex(segments, cell_m=cell_m))

    def __len__(self) -> int:
        return len(self.assets)

    # -- nearest -----------------------------------------------------------------------------------
    def nearest(self, lon: np.ndarray, lat: np.ndarray, max_distance_m: float = 20_000) -> NearestResult:
        """Nearest asset within max_distance_m of each point, exact on the indexed geometry.

        Points inside an area asset are at distance 0 from it."""
        lon, lat = _f64(lon), _f64(lat)
        seg, dist, t = self._index.nearest_segment(lon, lat, max_distance_m)
        found = seg >= 0
        s = self._segments
        asset = np.full(lon.size, -1, dtype=np.int32)
        asset[found] = s.owner[seg[found]]
        if len(self._area_ids):
            inside = self.inside_area(lon, lat)
            hit = inside >= 0
            asset[hit] = inside[hit]
            dist[hit] = 0.0
            seg[hit] = -1
        in_corr = np.zeros(lon.size, dtype=bool)
        ok = asset >= 0
        in_corr[ok] = dist[ok] <= self.assets.corridor_m[asset[ok]]
        return NearestResult(asset, dist, in_corr, seg, t, s, self._is_area)

    def km_points(self, asset_idx: np.ndarray, segment: np.ndarray, t: np.ndarray) -> np.ndarray:
        """NearestResult.km_point for (asset_idx, segment, t) columns kept apart from their result."""
        return km_points(self._segments, self._is_area, asset_idx, segment, t)

    def inside_area(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index of an area asset containing each point, -1 if none (the most critical wins)."""
        lon, lat = _f64(lon), _f64(lat)
        out = np.full(lon.size, -1, dtype=np.int32)
        best = np.zeros(lon.size, dtype=np.int8)
        for a, (x0, y0, x1, y1) in zip(self._area_ids, self._area_bounds):
            cand = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
            if not len(cand):
                continue
            inside = cand[shapely.contains_xy(self.assets.geometry[a], lon[cand], lat[cand])]
            crit = self.assets.criticality[a]
            take = inside[best[inside] < crit]
            out[take] = a
            best[take] = crit
        return out

    # -- crossings ---------------------------------------------------------------------------------
    def crossings(self, lon0, lat0, lon1, lat1) -> CrossingResult:
        """Where the N straight vessel segments (lon0,lat0)->(lon1,lat1) cross an asset's line
        (or an area's boundary)."""
        pair, seg, t, u, ang = self._index.crossing_segments(lon0, lat0, lon1, lat1)
        s = self._segments
        asset = s.owner[seg].astype(np.int32)
        x0, y0, x1, y1 = (_f64(a) for a in (lon0, lat0, lon1, lat1))
        dx = (x1[pair] - x0[pair] + 180.0) % 360.0 - 180.0
        lon = (x0[pair] + t * dx + 180.0) % 360.0 - 180.0
        lat = y0[pair] + t * (y1[pair] - y0[pair])
        km = s.km0[seg] + K.along_m(seg, u, s.ax, s.ay, s.bx, s.by) / 1000.0
        km[self._is_area[asset]] = np.nan
        order = np.lexsort((t, asset, pair))
        pair, asset, lon, lat, km, ang, t = (a[order] for a in (pair, asset, lon, lat, km, ang, t))
        keep = _first_of_duplicates(pair, asset, lon, lat)
        order = np.lexsort((t[keep], pair[keep]))
        return CrossingResult(*(a[keep][order] for a in (pair, asset, lon, lat, km, ang, t)))


def _first_of_duplicates(pair: np.ndarray, asset: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Mask keeping one of several crossings of the same pair and asset within DUPLICATE_CROSSING_M."""
    keep = np.ones(len(pair), dtype=bool)
    if len(pair) < 2:
        return keep
    same = (pair[1:] == pair[:-1]) & (asset[1:] == asset[:-1])
    dy = (lat[1:] - lat[:-1]) * K.M_PER_DEG_LAT_MIN
    dx = ((lon[1:] - lon[:-1] + 180.0) % 360.0 - 180.0) * K.M_PER_DEG_LON_EQ * np.cos(np.radians(lat[1:]))
    keep[1:] = ~(same & (np.hypot(dx, dy) < DUPLICATE_CROSSING_M))
    return keep
