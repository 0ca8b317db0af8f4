"""speed_drop: sudden speed loss anywhere (DMA AisAbnormal's SuddenSpeedChange rule):
SOG falls from >= high_kn to <= low_kn within `within_s` and stays low for `sustain_s`."""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from seawarden.detect.base import Detector, RawEvents, clamp_severity, crossed, emit
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import BRK_NONE, TrackChunk


@nb.njit(cache=True, nogil=True)
def _kernel(P, slot, sub, brk, prof, ts, lat, lon, sog, in_corr, asset, hi_ts, hi_sog, lo_ts, lo_start, lo_max, ei, ef):
    n = 0
    for i in range(ts.shape[0]):
        if sub[i] != 0:
            continue
        s = slot[i]
        if brk[i] != BRK_NONE:
            hi_ts[s] = NO_TIME
            lo_ts[s] = NO_TIME
        v = sog[i]
        if np.isnan(v):
            continue
        p = P[prof[i]]
        high, low, within, sustain = p[0], p[1], p[2] * 1000, p[3] * 1000
        if v >= high:
            hi_ts[s] = ts[i]
            hi_sog[s] = v
            lo_ts[s] = NO_TIME
        elif v <= low:
            if lo_ts[s] == NO_TIME:
                if hi_ts[s] != NO_TIME and ts[i] - hi_ts[s] <= within:
                    lo_ts[s] = ts[i]
                    lo_start[s] = hi_ts[s]
                    lo_max[s] = v
            else:
                if v > lo_max[s]:
                    lo_max[s] = v
                if ts[i] - lo_ts[s] >= sustain:
                    ei, ef, n = emit(ei, ef, n, i + 1, s, 1, lo_start[s], ts[i], ts[i], asset[i], -1, prof[i], 0,
                                     lat[i], lon[i])
                    ef[n - 1, 2] = hi_sog[s]
                    ef[n - 1, 3] = v
                    ef[n - 1, 4] = hi_sog[s] - v
                    ef[n - 1, 5] = (lo_ts[s] - lo_start[s]) / 1000.0
                    ef[n - 1, 6] = (ts[i] - lo_ts[s]) / 1000.0
                    ef[n - 1, 7] = 1.0 if in_corr[i] else 0.0
                    lo_ts[s] = NO_TIME
                    hi_ts[s] = NO_TIME
        else:
            lo_ts[s] = NO_TIME
    return ei, ef, n


class SpeedDrop(Detector):
    name = "speed_drop"
    PARAMS = ("high_kn", "low_kn", "within_s", "sustain_s")
    VALUES = ("from_kn", "to_kn", "drop_kn", "decay_s", "sustained_s", "in_corridor")
    STATE = {"hi_ts": (np.int64, NO_TIME, ()), "hi_sog": (np.float64, np.nan, ()), "lo_ts": (np.int64, NO_TIME, ()),
             "lo_start": (np.int64, NO_TIME, ()), "lo_max": (np.float64, np.nan, ())}

    def process(self, chunk: TrackChunk) -> RawEvents:
        st = self.state.arrays
        fx = chunk.fixes
        ei, ef = self.buffers()
        ei, ef, n = _kernel(self.P, chunk.slot, chunk.sub, chunk.brk, chunk.profile, fx.ts, fx.lat, fx.lon, chunk.sog,
                            chunk.in_corridor, chunk.asset, st["hi_ts"], st["hi_sog"], st["lo_ts"], st["lo_start"],
                            st["lo_max"], ei, ef)
        return RawEvents(ei, ef, n)

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        ev.update({"from_kn": crossed(v["from_kn"], params["high_kn"]), "to_kn": crossed(v["to_kn"], params["low_kn"]),
                   "decay_s": crossed(v["decay_s"], params["within_s"]),
                   "sustained_s": crossed(v["sustained_s"], params["sustain_s"])})
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        return clamp_severity(2 + (2 if in_corr else 0) + (1 if in_corr and crit >= 4 else 0))
