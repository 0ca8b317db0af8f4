"""ais_gap: a vessel goes silent near an asset while others around it are still heard.

Coverage-aware: a global grid counts every message heard per cell; a silence only counts when
at least `min_other_msgs` messages from other vessels were heard in the 3x3 cells around the
vessel's last position since it went quiet (so a receiver outage is not a "dark" ship).
Open gaps are reported as open at the first check after `min_gap_s` (checks run every
`tick_s` of stream time), and closed on reappearance with where it reappeared and whether the
implied speed was possible (the GFW open/closed gap pattern).
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np

from seawarden.detect.base import Detector, RawEvents, clamp_severity, crossed, emit
from seawarden.detect.config import DetectConfig
from seawarden.track.geo import KNOT_MS, haversine_m
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import TrackChunk

SCOPES = {"anywhere": 0.0, "near_asset": 1.0}


@nb.njit(cache=True, nogil=True)
def _nbr(grid, r, c):
    tot = 0
    nr, nc = grid.shape
    for dr in range(-1, 2):
        rr = r + dr
        if rr < 0 or rr >= nr:
            continue
        for dc in range(-1, 2):
            tot += grid[rr, (c + dc) % nc]
    return tot


@nb.njit(cache=True, nogil=True)
def _scan(now, P, g_last, g_lat, g_lon, g_r, g_c, g_snap, g_near, g_open, g_asset, g_prof, g_corr, grid, nslots, ei, ef, n,
          upto):
    for s in range(nslots):
        if g_last[s] == NO_TIME or g_open[s]:
            continue
        p = P[g_prof[s]]
        min_gap, scope, need_cov, min_other, forget = p[0] * 1000, p[1], p[2], p[4], p[7] * 1000
        gap = now - g_last[s]
        if gap < min_gap or gap > forget:
            continue
        if scope == 1.0 and not g_near[s]:
            continue
        others = _nbr(grid, g_r[s], g_c[s]) - g_snap[s]
        if need_cov != 0.0 and others < min_other:
            continue
        g_open[s] = 1
        ei, ef, n = emit(ei, ef, n, upto, s, 0, g_last[s], NO_TIME, now, g_asset[s], -1, g_prof[s], 0, g_lat[s], g_lon[s])
        ef[n - 1, 2] = gap / 1000.0
        ef[n - 1, 3] = others
        ef[n - 1, 8] = g_corr[s]
    return ei, ef, n


@nb.njit(cache=True, nogil=True)
def _kernel(P, cell, tick_ms, slot, sub, prof, ts, lat, lon, base, in_corr, asset, adist, near_m, nslots,
            g_last, g_lat, g_lon, g_r, g_c, g_snap, g_near, g_open, g_asset, g_prof, g_corr, g_base, grid, tick, ei, ef):
    n = 0
    nr, nc = grid.shape
    for i in range(ts.shape[0]):
        tk = ts[i] // tick_ms
        if tk > tick[0]:
            if tick[0] != NO_TIME:
                ei, ef, n = _scan(tk * tick_ms, P, g_last, g_lat, g_lon, g_r, g_c, g_snap, g_near, g_open, g_asset,
                                  g_prof, g_corr, grid, nslots, ei, ef, n, i)
            tick[0] = tk
        r = min(nr - 1, max(0, int(math.floor((lat[i] + 90.0) / cell))))
        c = min(nc - 1, max(0, int(math.floor((lon[i] + 180.0) / cell))))
        grid[r, c] += 1
        if sub[i] != 0:
            continue
        s = slot[i]
        if g_last[s] != NO_TIME:
            p = P[g_prof[s]]
            min_gap, scope, need_cov, max_kn, min_other = p[0] * 1000, p[1], p[2], p[3], p[4]
            gap = ts[i] - g_last[s]
            if gap >= min_gap:
                others = _nbr(grid, g_r[s], g_c[s]) - g_snap[s]
                in_scope = scope == 0.0 or g_near[s]
                covered = need_cov == 0.0 or others >= min_other
                if g_open[s] or (in_scope and covered):
                    d = haversine_m(g_lat[s], g_lon[s], lat[i], lon[i])
                    v = d / (gap / 1000.0) / KNOT_MS
                    ei, ef, n = emit(ei, ef, n, i + 1, s, 1, g_last[s], ts[i], ts[i], g_asset[s], -1, g_prof[s], 0,
                                     g_lat[s], g_lon[s])
                    ef[n - 1, 2] = gap / 1000.0
                    ef[n - 1, 3] = others
                    ef[n - 1, 4] = d
                    ef[n - 1, 5] = v
                    ef[n - 1, 6] = 1.0 if v <= max_kn else 0.0
                    ef[n - 1, 7] = g_base[s]
                    ef[n - 1, 8] = g_corr[s]
                    ef[n - 1, 9] = lat[i]
                    ef[n - 1, 10] = lon[i]
        g_last[s] = ts[i]
        g_lat[s] = lat[i]
        g_lon[s] = lon[i]
        g_r[s] = r
        g_c[s] = c
        g_snap[s] = _nbr(grid, r, c)
        g_near[s] = 1 if (asset[i] >= 0 and adist[i] <= near_m) else 0
        g_open[s] = 0
        g_asset[s] = asset[i]
        g_prof[s] = prof[i]
        g_corr[s] = 1.0 if in_corr[i] else 0.0
        g_base[s] = base[i]
    return ei, ef, n


class AisGap(Detector):
    name = "ais_gap"
    PARAMS = ("min_gap_s", "scope", "require_coverage", "max_plausible_kn", "min_other_msgs", "coverage_cell_deg",
              "tick_s", "forget_after_s")
    VALUES = ("gap_s", "others_heard", "reappear_distance_m", "implied_kn", "plausible", "baseline_kn",
              "in_corridor", "reappear_lat", "reappear_lon")
    CODES = {"scope": SCOPES}
    STATE = {"last": (np.int64, NO_TIME, ()), "lat": (np.float64, np.nan, ()), "lon": (np.float64, np.nan, ()),
             "r": (np.int64, 0, ()), "c": (np.int64, 0, ()), "snap": (np.int64, 0, ()), "near": (np.int8, 0, ()),
             "open": (np.int8, 0, ()), "asset": (np.int32, -1, ()), "prof": (np.int16, 0, ()),
             "corr": (np.float64, 0.0, ()), "base": (np.float64, np.nan, ())}

    def __init__(self, config: DetectConfig, engine: Any) -> None:
        super().__init__(config, engine)
        # grid and tick are global (profile 0): coverage is a property of the receivers, not of an area
        self.cell = float(self.profiles[0]["coverage_cell_deg"])
        self.tick_ms = int(float(self.profiles[0]["tick_s"]) * 1000)
        self.grid = np.zeros((int(math.ceil(180 / self.cell)), int(math.ceil(360 / self.cell))), np.int64)
        self.tick = np.array([NO_TIME], np.int64)
        self.last_ts = NO_TIME

    def process(self, chunk: TrackChunk) -> RawEvents:
        st = self.state.arrays
        fx = chunk.fixes
        ei, ef = self.buffers()
        ei, ef, n = _kernel(self.P, self.cell, self.tick_ms, chunk.slot, chunk.sub, chunk.profile, fx.ts, fx.lat, fx.lon,
                            chunk.sog_base, chunk.in_corridor, chunk.asset, chunk.asset_dist_m,
                            self.engine.spatial.near_m, len(self.engine.tracker.vessels), st["last"], st["lat"],
                            st["lon"], st["r"], st["c"], st["snap"], st["near"], st["open"], st["asset"], st["prof"],
                            st["corr"], st["base"], self.grid, self.tick, ei, ef)
        self.last_ts = int(fx.ts[-1])
        return RawEvents(ei, ef, n)

    def finish(self) -> RawEvents:
        """End of data: silences already longer than min_gap_s at the last stream time are open gaps."""
        if self.last_ts == NO_TIME:
            return RawEvents.empty(len(self.VALUES))
        st = self.state.arrays
        ei, ef = self.buffers()
        ei, ef, n = _scan(self.last_ts, self.P, st["last"], st["lat"], st["lon"], st["r"], st["c"], st["snap"],
                          st["near"], st["open"], st["asset"], st["prof"], st["corr"], self.grid,
                          len(self.engine.tracker.vessels), ei, ef, 0, 0)
        return RawEvents(ei, ef, n)

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        ev["gap_s"] = crossed(v["gap_s"], params["min_gap_s"])
        ev["others_heard"] = crossed(v["others_heard"], params["min_other_msgs"])
        if np.isfinite(v["implied_kn"]):
            ev["implied_kn"] = crossed(v["implied_kn"], params["max_plausible_kn"])
            ev["plausible"] = bool(v["plausible"] > 0.5)
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        s = 3 + (1 if in_corr else 0) + (1 if crit >= 4 else 0)
        if np.isfinite(v["plausible"]) and v["plausible"] < 0.5:
            s += 1
        return clamp_severity(s)
