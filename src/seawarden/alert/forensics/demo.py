"""A forensic scenario built from real traffic: normal crossers of Estlink 2 plus one Eagle S-like dragger.

There are no long real Baltic tracks in the shared data, so real US tracks with steady cruising
windows (MarineCadastre 2020-06-30) are relocated rigidly across the cable (see
`seawarden.detect.eval.inject.relocate` and docs/scenarios.md): the dragger exactly as in the
`baltic_eagle_s_estlink2` evaluation scenario, the normal crossers at evenly spaced points along the
cable, alternately east- and westbound, spread over +-4 h around the drag. Only the dragger is
injected; everyone else's speed profile is the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import shapely

from seawarden.assets.context import land_mask
from seawarden.detect.eval import inject as inj
from seawarden.detect.eval.kinematics import GEOD
from seawarden.detect.eval.real_data import load_asset, load_us_coastal_day, positions_table, sort_positions
from seawarden.detect.eval.scenarios import steady_windows
from seawarden.schema import POSITIONS

ESTLINK2_CROSS_AT = (26.048584, 59.92956)  # the cable's mid-gulf vertex (GridKit link 14816), as in docs/scenarios.md


@dataclass
class DragScenario:
    positions: pa.Table
    dragger: int
    crossers: list[int]
    labels: list[dict]
    t_ref_ms: int  # the dragger's crossing reference time (end of its steady window)


def _shift(t: pa.Table, shift_ms: int) -> pa.Table:
    ts = t["ts"].cast(pa.int64()).to_numpy() + shift_ms
    return t.set_column(1, "ts", pa.array(ts).cast(POSITIONS.field("ts").type))


def estlink2_drag_scenario(shared: Path, *, crossers: int = 12, seed: int = 20241225, drag_km: float = 80.0) -> DragScenario:
    us = load_us_coastal_day(shared)
    windows = steady_windows(us, (7.5, 14.0))
    if len(windows) < crossers + 1:
        raise ValueError(f"US coastal day: only {len(windows)} steady windows, need {crossers + 1}")
    asset = load_asset(shared, "estlink-2")
    line = inj.AssetLine(asset.geometry, asset.asset_id, asset.asset_name)
    host_m, t_ref = windows[0]
    back = GEOD.fwd(*ESTLINK2_CROSS_AT, (255.0 + 180) % 360, 3000.0)[:2]
    host = inj.relocate(us, host_m, anchor_ms=t_ref, to=(float(back[0]), float(back[1])), course_deg=255.0,
                        t_from_ms=t_ref - 120 * 60_000, t_to_ms=t_ref + 30 * 60_000)
    parts = [host]
    fracs = np.linspace(0.3, 0.7, crossers)
    offsets_h = np.linspace(-4.0, 4.0, crossers)
    for k, ((m, t_end), frac, off_h) in enumerate(zip(windows[1:crossers + 1], fracs, offsets_h)):
        p = shapely.line_interpolate_point(asset.geometry, float(frac), normalized=True)
        course = (255.0 if k % 2 == 0 else 75.0) + (k % 3 - 1) * 15.0
        reloc = inj.relocate(us, m, anchor_ms=t_end, to=(p.x, p.y), course_deg=course,
                             t_from_ms=t_end - 150 * 60_000, t_to_ms=t_end + 150 * 60_000)
        parts.append(_shift(reloc, t_ref - t_end + int(off_h * 3.6e6)).cast(POSITIONS))
    pos = sort_positions(pa.concat_tables(parts))
    r = inj.inject_anchor_drag(pos, host_m, line, drag_km=drag_km, seed=seed, scenario="forensics_estlink2")
    return DragScenario(r.positions, host_m, [m for m, _ in windows[1:crossers + 1]], r.labels, t_ref)


# -- a month of regional background traffic ------------------------------------------------------------------

GULF_OF_FINLAND = (22.5, 59.3, 29.5, 60.6)  # lon/lat box of the Gulf of Finland traffic
DIGITRAFFIC_SNAPSHOTS = ("digitraffic_snapshot_2025-12-11T2044Z.parquet", "digitraffic_snapshot_2025-12-12T1231Z.parquet")
UNDERWAY_KN = 3.0  # at or above: making way (the detectors' and suspects.toml's underway threshold)
STILL_KN = 1.0  # below: moored, anchored or drifting
BERTH_PORT_M = 10_000.0  # a still vessel this close to a World Port Index port is at a berth or a port anchorage
PORT_BOUND_S = 1800.0  # a vessel-day with this much time below UNDERWAY_KN spends it in a harbour
LANE_JITTER_M = 1000.0  # copies on one real lane vessel spread across the lane ...
COURSE_JITTER_DEG = 5.0  # ... and along its course, so no two copies share a track
BERTH_JITTER_M = 500.0
HARBOUR_BASIN_M = 1500.0  # the 1 km land mask calls harbour basins land: fixes this close to the berth are water
M_PER_DEG = 111_320.0


@dataclass
class GulfPicture:
    """Where real vessels are in the Gulf (Fintraffic Digitraffic snapshots): under way with their course, and at berths."""

    lane_lon: np.ndarray
    lane_lat: np.ndarray
    lane_cog: np.ndarray
    berth_lon: np.ndarray
    berth_lat: np.ndarray


def gulf_picture(shared: Path, box: tuple[float, float, float, float] = GULF_OF_FINLAND) -> GulfPicture:
    """One row per MMSI (the fresher snapshot wins), Digitraffic's "not available" SOG 102.3 / COG 360 dropped.

    Berths are still vessels within BERTH_PORT_M of a World Port Index port (tracktable-data, extra
    `context`): a still vessel elsewhere is a patrol on station or a stale last report (the snapshot
    keeps last-known positions), not where a day of harbour life belongs."""
    import pyarrow.parquet as pq

    from seawarden.assets.context import PortIndex

    folder = shared / "ais_snapshot_digitraffic_baltic_2025-12"
    latest: dict[int, tuple[float, float, float, float]] = {}
    for name in DIGITRAFFIC_SNAPSHOTS:  # oldest first
        t = pq.read_table(folder / name, columns=["mmsi", "lon", "lat", "sog", "cog"])
        for m, lon, lat, sog, cog in zip(*(t[c].to_numpy(zero_copy_only=False) for c in ("mmsi", "lon", "lat", "sog", "cog"))):
            latest[int(m)] = (float(lon), float(lat), float(sog), float(cog))
    lon, lat, sog, cog = (np.array(c) for c in zip(*latest.values()))
    inside = (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3]) & (sog < 102.2)
    lane = inside & (sog >= UNDERWAY_KN) & (cog < 360.0)
    ports = PortIndex.build((box[0] - 0.5, box[1] - 0.3, box[2] + 0.5, box[3] + 0.3))
    berth = inside & (sog < STILL_KN) & (ports.nearest(lon, lat, BERTH_PORT_M).port_idx >= 0)
    return GulfPicture(lon[lane], lat[lane], cog[lane], lon[berth], lat[berth])


def _pick_one(rng: np.random.Generator, owner: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """One random element of `rows` per owner 0..n-1 (rows grouped by owner, sorted); -1 where an owner has none."""
    lo = np.searchsorted(owner[rows], np.arange(n))
    count = np.bincount(owner[rows], minlength=n)
    k = np.minimum(lo + (rng.random(n) * count).astype(np.int64), max(len(rows) - 1, 0))
    return np.where(count > 0, rows[k] if len(rows) else -1, -1)


def _us_day_frames(shared: Path):
    """The US coastal day sorted by (vessel, time): ts, sog, cog, vessel index, and each fix in its vessel's local metric frame."""
    us = load_us_coastal_day(shared)
    mmsi = us["mmsi"].to_numpy().astype(np.int64)
    ts = us["ts"].cast(pa.int64()).to_numpy()
    o = np.lexsort((ts, mmsi))
    lon, lat = us["lon"].to_numpy()[o], us["lat"].to_numpy()[o]
    sog = us["sog"].to_numpy(zero_copy_only=False).astype(float)[o]
    cog = us["cog"].to_numpy(zero_copy_only=False).astype(float)[o]
    _, v = np.unique(mmsi[o], return_inverse=True)
    clat = np.bincount(v, lat) / np.bincount(v)
    x = (lon - (np.bincount(v, lon) / np.bincount(v))[v]) * np.cos(np.radians(clat[v])) * M_PER_DEG
    y = (lat - clat[v]) * M_PER_DEG
    return ts[o], sog, cog, v, x, y


def _placed(x, y, v, x0, y0, turn, ex, ny, tlon, tlat):
    """Rotate each vessel's frame by `turn` (compass sense) about (x0, y0), shift by (ex, ny) m, put it at (tlon, tlat)."""
    a = np.radians(turn)[v]
    dx, dy = x - x0[v], y - y0[v]
    xr = dx * np.cos(a) + dy * np.sin(a) + ex[v]
    yr = -dx * np.sin(a) + dy * np.cos(a) + ny[v]
    return xr, yr, tlon[v] + xr / (np.cos(np.radians(tlat[v])) * M_PER_DEG), tlat[v] + yr / M_PER_DEG


def regional_days(shared: Path, days: int, seed: int, *, copies_per_day: int = 1, first_mmsi: int = 200_000_000):
    """Yield (day, POSITIONS) for `days` days of Gulf of Finland traffic built from the real US coastal day.

    Every US vessel-day (1,185 vessels) is moved rigidly (local metric frame, rotation) copies_per_day times
    a day, with the day's time shift and a fresh MMSI (first_mmsi + (day * copies_per_day + copy) * 10_000 + vessel). Where it goes follows the
    real Gulf picture (`gulf_picture`), so each behaviour lands where the Gulf shows it:

    * a port-bound vessel-day (>= PORT_BOUND_S below UNDERWAY_KN: moored, anchored, harbour work, fishing
      on a spot) has one random slow fix put on a real berth (a still vessel near a port), randomly turned:
      it lies in a port and leaves it or comes in under way;
    * any other vessel-day has one random under-way fix put on a real under-way vessel (jittered across
      the lane), turned onto that vessel's course: through traffic crosses cables at its cruising speed.

    Placing every vessel-day uniformly at random instead (the first version of bench/suspects.py) moved a
    US day's harbour life into the open Gulf: over 30 days ~150 vessels crept, stopped and "dragged"
    over mid-Gulf Estlink 2 and buried the injected dragger at rank 151 (bench/suspects.py prints the
    plausibility check). Land is not masked (a lane-aligned day-long track runs on for hundreds of km).
    """
    ts, sog, cog, v, x, y = _us_day_frames(shared)
    nv = int(v.max()) + 1
    step_s = np.zeros(len(ts))
    same = v[1:] == v[:-1]
    step_s[:-1] = np.where(same, np.minimum(np.diff(ts) / 1000.0, 1800.0), 0.0)
    slow = np.flatnonzero(np.isfinite(sog) & (sog < UNDERWAY_KN))
    underway = np.flatnonzero((sog >= UNDERWAY_KN) & np.isfinite(cog))
    port_bound = (np.bincount(v[slow], step_s[slow], minlength=nv) >= PORT_BOUND_S) | (np.bincount(v[underway], minlength=nv) == 0)
    pic = gulf_picture(shared)
    on_land = land_mask()
    rng = np.random.default_rng(seed)
    for d, copy in ((d, c) for d in range(days) for c in range(copies_per_day)):
        block = d * copies_per_day + copy
        anchor = np.where(port_bound, _pick_one(rng, v, slow, nv), _pick_one(rng, v, underway, nv))
        has = anchor >= 0
        x0, y0 = np.where(has, x[np.maximum(anchor, 0)], 0.0), np.where(has, y[np.maximum(anchor, 0)], 0.0)
        lane, berth = rng.integers(0, len(pic.lane_lon), nv), rng.integers(0, len(pic.berth_lon), nv)
        course = pic.lane_cog[lane] + rng.uniform(-COURSE_JITTER_DEG, COURSE_JITTER_DEG, nv)
        turn = np.where(port_bound, rng.uniform(0, 360, nv), course - np.where(has, cog[np.maximum(anchor, 0)], 0.0))
        across = rng.uniform(-LANE_JITTER_M, LANE_JITTER_M, nv)
        jr, ja = BERTH_JITTER_M * np.sqrt(rng.random(nv)), rng.uniform(0, 2 * np.pi, nv)
        ex = np.where(port_bound, jr * np.cos(ja), across * np.cos(np.radians(course)))  # lane: offset across the course
        ny = np.where(port_bound, jr * np.sin(ja), -across * np.sin(np.radians(course)))
        tlon = np.where(port_bound, pic.berth_lon[berth], pic.lane_lon[lane])
        tlat = np.where(port_bound, pic.berth_lat[berth], pic.lane_lat[lane])
        xr, yr, nlon, nlat = _placed(x, y, v, x0, y0, turn, ex, ny, tlon, tlat)
        basin = port_bound[v] & (np.hypot(xr - ex[v], yr - ny[v]) <= HARBOUR_BASIN_M)
        keep = _sea_run(v, on_land(nlon, nlat) & ~basin, anchor)
        yield d, positions_table(first_mmsi + block * 10_000 + v[keep], ts[keep] + d * 86_400_000, nlat[keep], nlon[keep],
                                 sog=sog[keep], cog=np.mod(cog + turn[v], 360.0)[keep], source="relocated:gulf_background")


def _sea_run(owner: np.ndarray, land: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Mask of the fixes kept: per owner (rows grouped by owner, in time order) the run of consecutive
    water fixes that holds its anchor fix, or its longest water run when the anchor itself is on land.
    A moved track that would run ashore ends at the coast, as a ship's AIS track ends in port."""
    n = int(owner.max()) + 1 if len(owner) else 0
    start = np.ones(len(owner), dtype=bool)
    start[1:] = (owner[1:] != owner[:-1]) | (land[1:] != land[:-1])
    run = np.cumsum(start) - 1
    size = np.bincount(run, weights=~land)
    order = np.lexsort((size[run], owner))  # per owner, its longest water run last
    best = run[order][np.searchsorted(owner[order], np.arange(n), side="right") - 1]
    a = np.maximum(anchor, 0)
    want = np.where((anchor >= 0) & ~land[a], run[a], best)
    return ~land & (run == want[owner])


def uniform_days(shared: Path, days: int, seed: int, *, first_mmsi: int = 200_000_000):
    """The naive peer of `regional_days`: each US vessel-day moved to a uniformly random point of the Gulf box,
    randomly turned, land not masked. Kept to measure what plausible placement changes (bench/suspects.py)."""
    ts, sog, cog, v, x, y = _us_day_frames(shared)
    nv = int(v.max()) + 1
    zero = np.zeros(nv)
    rng = np.random.default_rng(seed)
    box = GULF_OF_FINLAND
    for d in range(days):
        tlon, tlat = rng.uniform(box[0], box[2], nv), rng.uniform(box[1], box[3], nv)
        turn = rng.uniform(0, 360, nv)
        _, _, nlon, nlat = _placed(x, y, v, zero, zero, turn, zero, zero, tlon, tlat)
        yield d, positions_table(first_mmsi + d * 10_000 + v, ts + d * 86_400_000, nlat, nlon, sog=sog,
                                 cog=np.mod(cog + turn[v], 360.0), source="relocated:uniform")
