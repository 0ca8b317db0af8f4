"""The piece of seabed a forensic query is about: one asset, optionally only near a point.

Holds a one-asset spatial index (so distances and km points are those of the whole asset, never
of a clipped piece) and the chain of small lon/lat boxes the store is asked for first: a long
pipeline's single bounding box would cover a whole sea, a chain of boxes along it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod

from seawarden.track.geo import haversine_m_array
from seawarden.assets.model import AssetTable
from seawarden.assets.spatial import AssetIndex
from seawarden.alert.forensics.config import ForensicsInputError

WGS84 = Geod(ellps="WGS84")
M_PER_DEG_LAT = 111_320.0


def _circle(lon: float, lat: float, radius_m: float, n: int = 72) -> shapely.Polygon:
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    x, y, _ = WGS84.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_m))
    return shapely.Polygon(np.column_stack([x, y]))


def _chains(xy: np.ndarray, max_deg: float) -> list[np.ndarray]:
    """Split a vertex chain into runs whose bounding box spans at most max_deg (long segments are cut)."""
    chunks: list[np.ndarray] = []
    cur = [xy[0]]
    for p in xy[1:]:
        a = cur[-1]
        n = int(np.ceil(np.abs(p - a).max() / max_deg))
        if n > 1:  # one segment longer than a box: its own pieces
            if len(cur) > 1:
                chunks.append(np.array(cur))
            t = np.linspace(0.0, 1.0, n + 1)[:, None]
            pts = a + t * (p - a)
            chunks.extend(np.array([u, v]) for u, v in zip(pts[:-1], pts[1:]))
            cur = [p]
            continue
        run = np.array(cur + [p])
        if (run.max(axis=0) - run.min(axis=0) > max_deg).any():
            chunks.append(np.array(cur))
            cur = [a, p]
        else:
            cur.append(p)
    if len(cur) > 1 or not chunks:
        chunks.append(np.array(cur))
    return chunks


@dataclass
class AssetFocus:
    """One asset (row `row` of `assets`), optionally restricted to within `radius_m` of `near` (lon, lat)."""

    assets: AssetTable
    row: int
    index: AssetIndex  # over this one asset only
    near: tuple[float, float] | None  # (lon, lat)
    radius_m: float | None
    part: shapely.Geometry  # the asset geometry, clipped to the near circle when given

    @classmethod
    def build(cls, assets: AssetTable, name_or_id: str, near_latlon: tuple[float, float] | None,
              radius_km: float | None, default_radius_km: float) -> "AssetFocus":
        try:
            row = assets.find(name_or_id)
        except KeyError as exc:
            raise ForensicsInputError(str(exc.args[0])) from None
        one = assets.take(np.array([row]))
        geom = assets.geometry[row]
        near = None
        radius_m = None
        if radius_km is not None and near_latlon is None:
            raise ForensicsInputError("--radius needs --near LAT,LON (the centre of the part of the asset to examine)")
        if near_latlon is not None:
            lat, lon = map(float, near_latlon)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ForensicsInputError(f"--near {lat},{lon}: latitude must be in -90..90 and longitude in -180..180 (LAT,LON order)")
            radius_km = default_radius_km if radius_km is None else float(radius_km)
            if not radius_km > 0:
                raise ForensicsInputError(f"--radius must be > 0 km, got {radius_km}")
            near, radius_m = (lon, lat), radius_km * 1000.0
            clipped = shapely.intersection(geom, _circle(lon, lat, radius_m))
            if clipped.is_empty:
                dist_km = float(AssetIndex.build(one).nearest(np.array([lon]), np.array([lat]), 5e6).distance_m[0]) / 1000
                raise ForensicsInputError(
                    f"asset {assets.name[row]!r} does not pass within {radius_km:g} km of {lat},{lon} "
                    f"(nearest point {dist_km:.1f} km away); widen --radius or check the LAT,LON order")
            geom = clipped
        return cls(assets, row, AssetIndex.build(one), near, radius_m, geom)

    # -- identity ---------------------------------------------------------------------------------
    @property
    def asset_id(self) -> str:
        return str(self.assets.id[self.row])

    @property
    def asset_name(self) -> str:
        return str(self.assets.name[self.row])

    @property
    def corridor_m(self) -> float:
        return float(self.assets.corridor_m[self.row])

    # -- space ------------------------------------------------------------------------------------
    def boxes(self, margin_m: float, max_box_deg: float) -> list[tuple[float, float, float, float]]:
        """(lon_min, lat_min, lon_max, lat_max) boxes covering the part grown by corridor + margin."""
        grow = self.corridor_m + margin_m
        is_area = shapely.get_type_id(self.part) in (3, 6)
        lines = shapely.boundary(self.part) if is_area else self.part
        out = [self._grown(tuple(c.min(axis=0)) + tuple(c.max(axis=0)), grow)
               for piece in shapely.get_parts(lines) for c in _chains(shapely.get_coordinates(piece), max_box_deg)]
        if is_area:  # the interior counts too
            out.append(self._grown(tuple(shapely.bounds(self.part)), grow))
        return out

    @staticmethod
    def _grown(b: tuple[float, float, float, float], grow_m: float) -> tuple[float, float, float, float]:
        lat_mid = 0.5 * (b[1] + b[3])
        dlat = grow_m / M_PER_DEG_LAT
        dlon = grow_m / (M_PER_DEG_LAT * max(np.cos(np.radians(min(abs(lat_mid) + dlat, 89.0))), 0.01))
        return (max(b[0] - dlon, -180.0), max(b[1] - dlat, -90.0), min(b[2] + dlon, 180.0), min(b[3] + dlat, 90.0))

    def distance(self, lon: np.ndarray, lat: np.ndarray, max_distance_m: float) -> tuple[np.ndarray, np.ndarray]:
        """(metres to the asset, km point along it) per fix; inf/NaN beyond max_distance_m."""
        hit = self.index.nearest(lon, lat, max_distance_m)
        return hit.distance_m, hit.km_point

    def in_part(self, lon: np.ndarray, lat: np.ndarray, slack_m: float = 0.0) -> np.ndarray:
        """True where a point lies within the near circle (+ slack), everywhere when no --near."""
        if self.near is None:
            return np.ones(np.shape(lon), dtype=bool)
        lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        near_lat, near_lon = np.full(lat.shape, self.near[1]), np.full(lon.shape, self.near[0])
        return haversine_m_array(near_lat, near_lon, lat, lon) <= self.radius_m + slack_m
