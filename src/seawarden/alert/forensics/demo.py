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

from seawarden.detect.eval import inject as inj
from seawarden.detect.eval.kinematics import GEOD
from seawarden.detect.eval.real_data import load_asset, load_us_coastal_day, sort_positions
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
