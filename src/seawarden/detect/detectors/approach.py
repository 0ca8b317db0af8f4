"""approach: predicted entry into an asset corridor within `horizon_min` on the current course
and speed (dead reckoning along the great circle) for a ship holding a steady course at speed,
once per vessel and asset per cooldown (a ferry on its daily route is reported once a day)."""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from seawarden.detect.base import ST_CLOSED, Detector, RawEvents, clamp_severity, crossed
from seawarden.track.geo import KNOT_MS, angle_diff_deg, destination
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import BRK_NONE, TrackChunk


@nb.njit(cache=True, nogil=True)
def _candidates(P, slot, sub, brk, prof, ts, lat, lon, sog, cog, course, sog_fast, in_corr, last_eval, max_corr_m,
                out_lat, out_lon):
    n = ts.shape[0]
    keep = np.zeros(n, np.bool_)
    for i in range(n):
        if sub[i] != 0 or brk[i] != BRK_NONE or in_corr[i] or np.isnan(sog[i]) or np.isnan(cog[i]):
            continue
        p = P[prof[i]]
        horizon, min_sog, every, steady_deg = p[0] * 60.0, p[1], p[2] * 1000, p[4]
        if sog[i] < min_sog or np.isnan(sog_fast[i]) or sog_fast[i] < min_sog:
            continue
        # dead reckoning is only a prediction for a ship holding its course: the 10-min smoothed course
        # must agree with the current one (manoeuvring in a harbour or a fairway bend predicts nothing)
        if np.isnan(course[i]) or abs(angle_diff_deg(course[i], cog[i])) > steady_deg:
            continue
        s = slot[i]
        if last_eval[s] != NO_TIME and ts[i] - last_eval[s] < every:
            continue
        last_eval[s] = ts[i]
        keep[i] = True
        la, lo = destination(lat[i], lon[i], cog[i], sog[i] * KNOT_MS * horizon + max_corr_m)
        out_lat[i] = la
        out_lon[i] = lo
    return keep


class Approach(Detector):
    name = "approach"
    PARAMS = ("horizon_min", "min_sog_kn", "eval_every_s", "cooldown_s", "steady_course_deg")
    VALUES = ("eta_corridor_min", "eta_line_min", "sog_kn", "cog_deg", "distance_to_line_m", "km_point", "angle_deg")
    STATE = {"last_eval": (np.int64, NO_TIME, ())}

    def __init__(self, config, engine) -> None:
        super().__init__(config, engine)
        self.last_emit: dict[tuple[int, int], int] = {}

    def process(self, chunk: TrackChunk) -> RawEvents:
        index = self.engine.spatial.index
        if index is None or not len(chunk):
            return RawEvents.empty(len(self.VALUES))
        fx = chunk.fixes
        corr_m = np.asarray(index.assets.corridor_m, dtype=np.float64)
        max_corr = float(corr_m.max()) if corr_m.size else 0.0
        la2 = np.full(len(fx), np.nan)
        lo2 = np.full(len(fx), np.nan)
        keep = _candidates(self.P, chunk.slot, chunk.sub, chunk.brk, chunk.profile, fx.ts, fx.lat, fx.lon, chunk.sog,
                           chunk.cog, chunk.course, chunk.sog_fast, chunk.in_corridor, self.state["last_eval"],
                           max_corr, la2, lo2)
        rows = np.flatnonzero(keep)
        if not rows.size:
            return RawEvents.empty(len(self.VALUES))
        r = index.crossings(fx.lon[rows], fx.lat[rows], lo2[rows], la2[rows])
        if not len(r):
            return RawEvents.empty(len(self.VALUES))
        ei_rows, ef_rows = [], []
        seen_pair: set[int] = set()
        pair_idx = np.asarray(r.pair_idx)
        for k in range(len(r)):  # sorted by pair then frac: the first crossing of each asset per fix
            pr = int(pair_idx[k])
            i = int(rows[pr])
            a = int(r.asset_idx[k])
            if (pr, a) in seen_pair:
                continue
            seen_pair.add((pr, a))
            p = self.P[chunk.profile[i]]
            horizon_s, cooldown = p[0] * 60.0, p[3] * 1000
            speed = chunk.sog[i] * KNOT_MS
            total = speed * horizon_s + max_corr
            d_line = float(r.frac[k]) * total
            ang = max(float(r.angle_deg[k]), 5.0)
            d_corr = max(0.0, d_line - corr_m[a] / np.sin(np.radians(ang)))
            eta_corr = d_corr / speed / 60.0
            if eta_corr > p[0]:
                continue
            s = int(chunk.slot[i])
            t = int(fx.ts[i])
            last = self.last_emit.get((s, a))
            if last is not None and t - last < cooldown:
                continue
            self.last_emit[(s, a)] = t
            eta_ms = int(round(eta_corr * 60_000))
            ei_rows.append([i + 1, s, ST_CLOSED, t, t + eta_ms, t, a, -1, int(chunk.profile[i]), 0])
            ef_rows.append([fx.lat[i], fx.lon[i], eta_corr, d_line / speed / 60.0, chunk.sog[i], chunk.cog[i], d_line,
                            float(r.km_point[k]), float(r.angle_deg[k])])
        if not ei_rows:
            return RawEvents.empty(len(self.VALUES))
        return RawEvents(np.array(ei_rows, np.int64), np.array(ef_rows, np.float64), len(ei_rows))

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        ev["eta_corridor_min"] = crossed(v["eta_corridor_min"], params["horizon_min"])
        ev["sog_kn"] = crossed(v["sog_kn"], params["min_sog_kn"])
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        return clamp_severity(1 + (1 if crit >= 4 else 0))
