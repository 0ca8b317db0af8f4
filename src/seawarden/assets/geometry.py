"""Geometry hygiene shared by loaders and the index: lon/lat ranges, the antimeridian, segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


def _wrap_lon(lon: np.ndarray) -> np.ndarray:
    out = lon.copy()
    bad = (out > 180.0) | (out < -180.0)
    out[bad] = (out[bad] + 180.0) % 360.0 - 180.0
    return out


def _split_line_coords(xy: np.ndarray) -> list[np.ndarray]:
    """Cut one vertex sequence where consecutive vertices jump > 180 degrees of longitude
    (the line crosses the antimeridian), inserting the crossing point on both sides."""
    xy = xy.copy()
    xy[:, 0] = _wrap_lon(xy[:, 0])
    jumps = np.flatnonzero(np.abs(np.diff(xy[:, 0])) > 180.0)
    if len(jumps) == 0:
        return [xy]
    parts: list[np.ndarray] = []
    start, head = 0, np.empty((0, 2))
    for j in jumps:
        (x0, y0), (x1, y1) = xy[j], xy[j + 1]
        side = 180.0 if x0 > 0 else -180.0
        x1_unwrapped = x1 + 2.0 * side
        yc = y0 + (side - x0) / (x1_unwrapped - x0) * (y1 - y0)
        parts.append(np.vstack([head, xy[start : j + 1], [[side, yc]]]))
        start, head = j + 1, np.array([[-side, yc]])
    parts.append(np.vstack([head, xy[start:]]))
    return [p for p in parts if len(p) >= 2]


def normalise_line(geom: shapely.Geometry) -> shapely.Geometry:
    """Lon into [-180, 180] and lines that cross the antimeridian split into parts meeting at +-180.
    Returns a LineString when one part remains, else a MultiLineString."""
    parts: list[np.ndarray] = []
    for part in shapely.get_parts(geom):
        parts.extend(_split_line_coords(shapely.get_coordinates(part)))
    if len(parts) == 1:
        return shapely.linestrings(parts[0])
    return shapely.multilinestrings([shapely.linestrings(p) for p in parts])


def check_polygon_lon(geom: shapely.Geometry) -> str | None:
    """Why a polygon cannot be used as-is (crosses the antimeridian), or None."""
    xy = shapely.get_coordinates(shapely.boundary(geom))
    if (np.abs(np.diff(xy[:, 0])) > 180.0).any():
        return "polygon crosses the antimeridian; split it into parts east and west of 180 degrees"
    return None


_A = 6378137.0
_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)


def straight_length_m(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, steps: int = 16) -> np.ndarray:
    """Length on WGS84 of the lon/lat-straight segments (the path the data draws, not the geodesic
    between the end points, which bulges poleward on long east-west segments): Simpson's rule over the
    local metres-per-degree along the segment."""
    dlon = (bx - ax + 180.0) % 360.0 - 180.0
    dlat = by - ay
    t = np.linspace(0.0, 1.0, steps + 1)[:, None]
    phi = np.radians(ay[None, :] + t * dlat[None, :])
    w = 1.0 - _E2 * np.sin(phi) ** 2
    kx = _A / np.sqrt(w) * np.cos(phi) * np.pi / 180.0
    ky = _A * (1.0 - _E2) / w**1.5 * np.pi / 180.0
    speed = np.hypot(dlon[None, :] * kx, dlat[None, :] * ky)
    weights = np.ones(steps + 1)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
    return (weights[:, None] * speed).sum(axis=0) / (3.0 * steps)


@dataclass(frozen=True)
class Segments:
    """All 2-vertex segments of a set of line/polygon-boundary geometries, as flat arrays.

    km0 is the along-route position (km) of each segment's start from its geometry's start,
    counting parts in their stored order; last_in_part marks a part's final segment."""

    ax: np.ndarray
    ay: np.ndarray
    bx: np.ndarray
    by: np.ndarray
    owner: np.ndarray  # int32 index of the geometry
    length_m: np.ndarray  # length of the lon/lat-straight segment on WGS84
    km0: np.ndarray
    last_in_part: np.ndarray

    @classmethod
    def from_geometries(cls, geoms: np.ndarray) -> Segments:
        lines = np.array([g if shapely.get_type_id(g) in (1, 5) else shapely.boundary(g) for g in geoms], dtype=object)
        lines = np.array([normalise_line(g) for g in lines], dtype=object)
        parts, owner_of_part = shapely.get_parts(lines, return_index=True)
        xy, part_of_vertex = shapely.get_coordinates(parts, return_index=True)
        same = part_of_vertex[1:] == part_of_vertex[:-1]
        a = np.flatnonzero(same)
        ax, ay, bx, by = xy[a, 0], xy[a, 1], xy[a + 1, 0], xy[a + 1, 1]
        length = straight_length_m(ax, ay, bx, by)
        part = part_of_vertex[a]
        owner = owner_of_part[part].astype(np.int32)
        last = np.ones(len(a), dtype=bool)
        last[:-1] = part[1:] != part[:-1]
        cum = np.cumsum(length)
        start_of_owner = np.ones(len(a), dtype=bool)
        start_of_owner[1:] = owner[1:] != owner[:-1]
        base = np.maximum.accumulate(np.where(start_of_owner, cum - length, 0.0))
        km0 = (cum - length - base) / 1000.0
        return cls(ax, ay, bx, by, owner, np.asarray(length, dtype=np.float64), km0, last)
