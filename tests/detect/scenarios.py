"""Injected behaviours built from real tracks (by code, never by hand-edited data).

Each function takes a real POSITIONS table and returns a modified copy; what it changes is
documented in its docstring so a test reads as a scenario description.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from seawarden.assets.model import AssetTable
from seawarden.assets.spatial import AssetIndex
from seawarden.detect import positions_table
from seawarden.track.geo import destination

COLS = ("mmsi", "ts", "lat", "lon", "sog", "cog", "heading", "nav_status")


def columns(t: pa.Table) -> dict[str, np.ndarray]:
    out = {}
    for c in COLS:
        col = t.column(c)
        if c == "ts":
            out[c] = pc.cast(col, pa.int64()).to_numpy()
        elif c == "mmsi":
            out[c] = col.to_numpy().astype(np.int64)
        else:
            out[c] = np.array(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    return out


def table(cols: dict[str, np.ndarray]) -> pa.Table:
    order = np.argsort(cols["ts"], kind="stable")
    return positions_table({k: np.asarray(v)[order] for k, v in cols.items()})


def vessel(t: pa.Table, mmsi: int, t0_ms: int | None = None, t1_ms: int | None = None) -> dict[str, np.ndarray]:
    c = columns(t)
    m = c["mmsi"] == mmsi
    if t0_ms is not None:
        m &= c["ts"] >= t0_ms
    if t1_ms is not None:
        m &= c["ts"] <= t1_ms
    return {k: v[m] for k, v in c.items()}


def merge(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in COLS}


def slow_down(v: dict[str, np.ndarray], onset_ms: int, ramp_s: float, factor: float) -> dict[str, np.ndarray]:
    """Eagle S injection: keep the real path, but after `onset_ms` progress along it ever slower,
    reaching `factor` x the real speed after `ramp_s` (new timestamps, SOG scaled, COG/heading kept)."""
    v = {k: a.copy() for k, a in v.items()}
    ts = v["ts"].astype(float)
    f = np.ones_like(ts)
    after = ts > onset_ms
    f[after] = 1.0 - (1.0 - factor) * np.minimum(1.0, (ts[after] - onset_ms) / (ramp_s * 1000.0))
    dt = np.diff(ts, prepend=ts[0])
    new = ts[0] + np.cumsum(np.where(after, dt / f, dt))
    v["ts"] = new.astype(np.int64)
    v["sog"] = v["sog"] * f
    return v


def cable_across(v: dict[str, np.ndarray], at_ms: int, half_len_m: float = 15_000.0) -> shapely.LineString:
    """A straight test cable perpendicular to the track at the fix nearest to `at_ms`."""
    i = int(np.argmin(np.abs(v["ts"] - at_ms)))
    j = min(i + 5, len(v["ts"]) - 1)
    brg = math.degrees(math.atan2((v["lon"][j] - v["lon"][i]) * math.cos(math.radians(v["lat"][i])), v["lat"][j] - v["lat"][i]))
    a = destination(v["lat"][i], v["lon"][i], brg + 90.0, half_len_m)
    b = destination(v["lat"][i], v["lon"][i], brg - 90.0, half_len_m)
    return shapely.LineString([(a[1], a[0]), (b[1], b[0])])


def asset_index(lines: dict[str, shapely.LineString], corridor_m: float = 1000.0, criticality: int = 5) -> AssetIndex:
    rows = [{"id": k, "name": f"Test cable {k}", "kind": "power_cable", "geometry": g, "corridor_m": corridor_m,
             "criticality": criticality} for k, g in lines.items()]
    return AssetIndex.build(AssetTable.from_rows(rows))


def batches(t: pa.Table, size: int) -> list[pa.Table]:
    return [t.slice(i, size) for i in range(0, t.num_rows, size)]
