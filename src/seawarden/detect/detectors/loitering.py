"""loitering: low speed for long inside an asset corridor (or anywhere, by config), not in a
known anchorage or port. Speed and duration follow GFW's loitering definition."""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from seawarden.detect.base import Detector, RawEvents, clamp_severity, crossed, emit
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import BRK_NONE, TrackChunk

SCOPES = {"anywhere": 0.0, "corridor": 1.0}


@nb.njit(cache=True, nogil=True)
def _close(ei, ef, n, i, s, l_start, l_last, l_sum, l_n, l_lat, l_lon, l_asset, l_prof, l_corr, detected):
    ei, ef, n = emit(ei, ef, n, i, s, 1, l_start[s], l_last[s], detected, l_asset[s], -1, l_prof[s], 0, l_lat[s], l_lon[s])
    ef[n - 1, 2] = (l_last[s] - l_start[s]) / 1000.0
    ef[n - 1, 3] = l_sum[s] / max(l_n[s], 1)
    ef[n - 1, 4] = l_corr[s]
    return ei, ef, n


@nb.njit(cache=True, nogil=True)
def _kernel(P, slot, sub, brk, prof, ts, lat, lon, sog, in_corr, in_anch, asset,
            l_start, l_last, l_emit, l_sum, l_n, l_lat, l_lon, l_asset, l_prof, l_corr, ei, ef):
    n = 0
    for i in range(ts.shape[0]):
        if sub[i] != 0:
            continue
        s = slot[i]
        p = P[prof[i]]
        max_sog, min_dur, scope, grace, max_gap = p[0], p[1] * 1000, p[2], p[3] * 1000, p[4] * 1000
        if l_start[s] != NO_TIME and (brk[i] != BRK_NONE or ts[i] - l_last[s] > max_gap):
            if l_emit[s]:
                ei, ef, n = _close(ei, ef, n, i + 1, s, l_start, l_last, l_sum, l_n, l_lat, l_lon, l_asset, l_prof,
                                   l_corr, ts[i])
            l_start[s] = NO_TIME
        v = sog[i]
        if np.isnan(v):
            continue
        ok = v <= max_sog and not in_anch[i] and (scope == 0.0 or in_corr[i])
        if ok:
            if l_start[s] == NO_TIME:
                l_start[s] = ts[i]
                l_emit[s] = 0
                l_sum[s] = 0.0
                l_n[s] = 0
                l_lat[s] = lat[i]
                l_lon[s] = lon[i]
                l_asset[s] = asset[i]
                l_prof[s] = prof[i]
                l_corr[s] = 0.0
            l_last[s] = ts[i]
            l_sum[s] += v
            l_n[s] += 1
            if in_corr[i]:
                l_corr[s] = 1.0
                if l_asset[s] < 0:
                    l_asset[s] = asset[i]
            if l_emit[s] == 0 and ts[i] - l_start[s] >= min_dur:
                l_emit[s] = 1
                ei, ef, n = emit(ei, ef, n, i + 1, s, 0, l_start[s], NO_TIME, ts[i], l_asset[s], -1, l_prof[s], 0,
                                 l_lat[s], l_lon[s])
                ef[n - 1, 2] = (ts[i] - l_start[s]) / 1000.0
                ef[n - 1, 3] = l_sum[s] / l_n[s]
                ef[n - 1, 4] = l_corr[s]
        elif l_start[s] != NO_TIME and ts[i] - l_last[s] > grace:
            if l_emit[s]:
                ei, ef, n = _close(ei, ef, n, i + 1, s, l_start, l_last, l_sum, l_n, l_lat, l_lon, l_asset, l_prof,
                                   l_corr, ts[i])
            l_start[s] = NO_TIME
    return ei, ef, n


class Loitering(Detector):
    name = "loitering"
    PARAMS = ("max_sog_kn", "min_duration_s", "scope", "grace_s", "max_gap_s")
    VALUES = ("duration_s", "avg_sog_kn", "in_corridor")
    CODES = {"scope": SCOPES}
    STATE = {"start": (np.int64, NO_TIME, ()), "last": (np.int64, NO_TIME, ()), "emit": (np.int8, 0, ()),
             "sum": (np.float64, 0.0, ()), "n": (np.int64, 0, ()), "lat": (np.float64, np.nan, ()),
             "lon": (np.float64, np.nan, ()), "asset": (np.int32, -1, ()), "prof": (np.int16, 0, ()),
             "corr": (np.float64, 0.0, ())}

    def process(self, chunk: TrackChunk) -> RawEvents:
        st = self.state.arrays
        fx = chunk.fixes
        ei, ef = self.buffers()
        ei, ef, n = _kernel(self.P, chunk.slot, chunk.sub, chunk.brk, chunk.profile, fx.ts, fx.lat, fx.lon, chunk.sog,
                            chunk.in_corridor, chunk.in_anchorage, chunk.asset, st["start"], st["last"], st["emit"],
                            st["sum"], st["n"], st["lat"], st["lon"], st["asset"], st["prof"], st["corr"], ei, ef)
        return RawEvents(ei, ef, n)

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        ev.update({"avg_sog_kn": crossed(v["avg_sog_kn"], params["max_sog_kn"]),
                   "duration_s": crossed(v["duration_s"], params["min_duration_s"])})
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        hours = v["duration_s"] / 3600.0
        return clamp_severity(2 + (1 if in_corr else 0) + (1 if hours >= 4 else 0) + (1 if in_corr and crit >= 4 else 0))
