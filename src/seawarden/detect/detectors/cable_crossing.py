"""cable_crossing: a log of every crossing of every asset by every vessel track.

Crossings come from the assets engine (`AssetIndex.crossings`) on each straight step between
two consecutive primary fixes, so a ferry crossing a cable twice gives two rows. Steps across
long silences are not interpolated (the ship's path in between is unknown).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seawarden.detect.base import ST_CLOSED, Detector, RawEvents, clamp_severity, crossed
from seawarden.track.geo import haversine_m
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import BRK_NONE, TrackChunk


REPEAT_S = 60.0
REPEAT_M = 50.0
STEP_SLACK = 1.02
STEP_MARGIN_M = 100.0


class CableCrossing(Detector):
    name = "cable_crossing"
    PARAMS = ("max_segment_gap_s", "slow_crossing_kn")
    VALUES = ("sog_kn", "cog_before_deg", "cog_after_deg", "cog_change_deg", "km_point", "angle_deg", "frac",
              "step_s", "in_corridor")

    def __init__(self, config, engine) -> None:
        super().__init__(config, engine)
        self._last: dict[tuple[int, int], tuple[int, float, float]] = {}

    def process(self, chunk: TrackChunk) -> RawEvents:
        index = self.engine.spatial.index
        if index is None or not len(chunk):
            return RawEvents.empty(len(self.VALUES))
        max_gap = self.P[chunk.profile, 0]
        # a step that crosses a line ends within its own length of it: steps ending farther from every
        # asset than they are long cannot cross one (margin for the lon/lat-straight path and the
        # metric; steps longer than the nearest-asset reach are always tested)
        reach = chunk.dist_m * STEP_SLACK + STEP_MARGIN_M
        may_cross = (chunk.asset_dist_m <= reach) | (reach >= self.engine.spatial.near_m)
        sel = np.flatnonzero((chunk.sub == 0) & (chunk.brk == BRK_NONE) & (chunk.prev_ts != NO_TIME)
                             & (chunk.dt_s > 0) & (chunk.dt_s <= max_gap) & (chunk.dist_m > 0) & may_cross)
        if not sel.size:
            return RawEvents.empty(len(self.VALUES))
        fx = chunk.fixes
        r = index.crossings(chunk.prev_lon[sel], chunk.prev_lat[sel], fx.lon[sel], fx.lat[sel])
        m = len(r)
        if not m:
            return RawEvents.empty(len(self.VALUES))
        rows = sel[np.asarray(r.pair_idx)]
        frac = np.asarray(r.frac, dtype=np.float64)
        t_cross = chunk.prev_ts[rows] + np.round(frac * chunk.dt_s[rows] * 1000.0).astype(np.int64)
        cog_after = chunk.cog[rows]
        cog_change = chunk.turn_deg_min[rows] * chunk.dt_s[rows] / 60.0
        cog_before = (cog_after - cog_change) % 360.0
        ei = np.empty((m, 10), np.int64)
        ei[:, 0] = rows + 1
        ei[:, 1] = chunk.slot[rows]
        ei[:, 2] = ST_CLOSED
        ei[:, 3] = t_cross
        ei[:, 4] = t_cross
        ei[:, 5] = fx.ts[rows]
        ei[:, 6] = np.asarray(r.asset_idx)
        ei[:, 7] = -1
        ei[:, 8] = chunk.profile[rows]
        ei[:, 9] = 0
        # sog interpolated along the step (reported at both ends when available)
        sog_prev = chunk.sog_fast[rows]
        sog = np.where(np.isnan(chunk.sog[rows]), sog_prev, chunk.sog[rows])
        ef = np.column_stack([
            np.asarray(r.lat), np.asarray(r.lon), sog, cog_before, cog_after, cog_change, np.asarray(r.km_point),
            np.asarray(r.angle_deg), frac, chunk.dt_s[rows], np.ones(m),
        ])
        order = np.lexsort((frac, rows))
        ei, ef = ei[order], ef[order]
        keep = self._not_repeated(ei, ef)
        return RawEvents(ei[keep], ef[keep], int(keep.sum()))

    def _not_repeated(self, ei: np.ndarray, ef: np.ndarray) -> np.ndarray:
        """A track vertex lying on the cable yields a crossing at the end of one step and at the
        start of the next: the same crossing, kept once (state carries across chunks)."""
        keep = np.ones(len(ei), bool)
        last = self._last
        for k in range(len(ei)):
            slot, asset, t = int(ei[k, 1]), int(ei[k, 6]), int(ei[k, 3])
            prev = last.get((slot, asset))
            if prev is not None and t - prev[0] <= REPEAT_S * 1000 and \
                    haversine_m(prev[1], prev[2], ef[k, 0], ef[k, 1]) <= REPEAT_M:
                keep[k] = False
            last[(slot, asset)] = (t, float(ef[k, 0]), float(ef[k, 1]))
        return keep

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        ev["slow_crossing_kn"] = crossed(v["sog_kn"], params["slow_crossing_kn"])
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        s = 1
        if np.isfinite(v["sog_kn"]) and v["sog_kn"] < params["slow_crossing_kn"]:
            s += 1
        if np.isfinite(v["cog_change_deg"]) and abs(v["cog_change_deg"]) > 30.0:
            s += 1
        if crit >= 4:
            s += 1
        return clamp_severity(s)
