"""Context layers that keep detectors from crying wolf: land/sea, distance to shore, nearest port.

Sources are optional packages (extra `context`): `global-land-mask` (MIT; 1 km GLOBE-derived land
mask, 2.5 MB) for on-land tests, and `tracktable-data` (BSD-2 package; 70 MB wheel) for the GSHHS
shorelines (GSHHG, LGPL-3 data by Wessel & Smith) and the NGA World Port Index (public domain).
When a package is missing the call raises ContextUnavailable, a typed error that says what to
install, so callers can switch the dependent rule off instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow.csv as pacsv
import pyogrio
import shapely

from seawarden.assets.geometry import Segments
from seawarden.assets.spatial import SegmentIndex, _f64

INSTALL_HINT = "pip install 'seawarden[context]'"


class ContextUnavailable(RuntimeError):
    """A context layer's data package is not installed (message says which and how to install)."""


def land_mask() -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Vectorised on_land(lon, lat) -> bool from `global-land-mask` (about 1 km resolution)."""
    try:
        from global_land_mask import globe
    except ImportError as exc:
        raise ContextUnavailable(f"land mask needs the package global-land-mask ({INSTALL_HINT})") from exc

    def on_land(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        lon, lat = _f64(lon), _f64(lat)
        out = np.zeros(lon.shape, dtype=bool)
        ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)
        out[ok] = globe.is_land(lat[ok], (lon[ok] + 180.0) % 360.0 - 180.0)
        return out

    return on_land


def _tracktable_file(name: str) -> Path:
    try:
        from tracktable_data.data import retrieve
    except ImportError as exc:
        raise ContextUnavailable(f"shorelines and ports need the package tracktable-data ({INSTALL_HINT})") from exc
    path = retrieve(filename=name)
    if not path or not Path(path).exists():
        raise ContextUnavailable(f"tracktable-data is installed but has no {name}")
    return Path(path)


def _gshhs_path(resolution: str) -> Path:
    marker = _tracktable_file("ports.csv")  # any file locates the package's data folder
    path = marker.parent / "GSHHS_shp" / resolution / f"GSHHS_{resolution}_L1.shp"
    if not path.exists():
        raise ContextUnavailable(f"tracktable-data has no GSHHS resolution {resolution!r} (c, l, i, h)")
    return path


class ShoreIndex:
    """Distance to the nearest GSHHS level-1 shoreline (land/ocean boundary), metres."""

    def __init__(self, index: SegmentIndex, resolution: str):
        self._index = index
        self.resolution = resolution

    @classmethod
    def build(cls, bbox: tuple[float, float, float, float] | None = None, resolution: str = "i",
              cell_m: float = 10_000) -> ShoreIndex:
        """GSHHS resolution: c(rude), l(ow), i(ntermediate, ~200 m), h(igh, ~40 m). Restrict to a
        bbox (lon/lat, padded by the caller for the query radius) to keep the index small."""
        path = _gshhs_path(resolution)
        _, table = pyogrio.read_arrow(path, bbox=bbox)
        polys = shapely.from_wkb(table.column("wkb_geometry").to_pylist() if "wkb_geometry" in table.column_names
                                 else table.column(table.column_names[-1]).to_pylist())
        rings = shapely.boundary(np.asarray(polys, dtype=object))
        if bbox is not None:
            rings = shapely.intersection(rings, shapely.box(*bbox))
            rings = rings[~shapely.is_empty(rings)]
            rings = np.array([shapely.line_merge(r) if r.geom_type == "MultiLineString" else r for r in rings
                              if r.geom_type in ("LineString", "MultiLineString")], dtype=object)
        return cls(SegmentIndex(Segments.from_geometries(rings), cell_m=cell_m), resolution)

    def distance_m(self, lon: np.ndarray, lat: np.ndarray, max_distance_m: float = 50_000) -> np.ndarray:
        """Metres to the shoreline (inf if farther than max_distance_m). Land and sea both give
        positive distances: combine with land_mask() to tell which side a point is on."""
        _, dist, _ = self._index.nearest_segment(lon, lat, max_distance_m)
        return dist


@dataclass(frozen=True)
class PortResult:
    port_idx: np.ndarray  # int32, -1 if none within max_distance_m
    distance_m: np.ndarray


class PortIndex:
    """Nearest port from the NGA World Port Index (3,696 ports, with anchorage facility flags)."""

    def __init__(self, name: np.ndarray, country: np.ndarray, lon: np.ndarray, lat: np.ndarray,
                 has_anchorage: np.ndarray, harbor_size: np.ndarray, cell_m: float = 20_000):
        self.name, self.country, self.lon, self.lat = name, country, lon, lat
        self.has_anchorage, self.harbor_size = has_anchorage, harbor_size
        seg = Segments(lon, lat, lon, lat, np.arange(len(lon), dtype=np.int32), np.zeros(len(lon)), np.zeros(len(lon)),
                       np.ones(len(lon), dtype=bool))
        self._index = SegmentIndex(seg, cell_m=cell_m)
        self._anchorages: PortIndex | None = None

    @classmethod
    def build(cls, bbox: tuple[float, float, float, float] | None = None) -> PortIndex:
        t = pacsv.read_csv(_tracktable_file("ports.csv"))
        lon = t.column("Longitude").to_numpy().astype(np.float64)
        lat = t.column("Latitude").to_numpy().astype(np.float64)
        keep = np.isfinite(lon) & np.isfinite(lat)
        if bbox is not None:
            keep &= (lon >= bbox[0]) & (lon <= bbox[2]) & (lat >= bbox[1]) & (lat <= bbox[3])

        def col(name: str) -> np.ndarray:
            return np.array(t.column(name).to_pylist(), dtype=object)[keep]

        return cls(col("Main Port Name"), col("Country Code"), lon[keep], lat[keep],
                   col("Facilities - Anchorage") == "Yes", col("Harbor Size"))

    def nearest(self, lon: np.ndarray, lat: np.ndarray, max_distance_m: float = 50_000, anchorage_only: bool = False) -> PortResult:
        """Nearest port (or, with anchorage_only, nearest port listing anchorage facilities)."""
        if anchorage_only:
            if self._anchorages is None:
                cols = (self.name, self.country, self.lon, self.lat, self.has_anchorage, self.harbor_size)
                self._anchorages = PortIndex(*(a[self.has_anchorage] for a in cols))
            r = self._anchorages.nearest(lon, lat, max_distance_m)
            idx = np.flatnonzero(self.has_anchorage)
            return PortResult(np.where(r.port_idx >= 0, idx[np.maximum(r.port_idx, 0)], -1).astype(np.int32), r.distance_m)
        seg, dist, _ = self._index.nearest_segment(lon, lat, max_distance_m)
        return PortResult(seg.astype(np.int32), dist)
