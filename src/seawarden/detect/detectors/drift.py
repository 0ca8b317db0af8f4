"""drift: a ship moving where its bow does not point.

* underway drift (DMA AisAbnormal DriftAnalysis): SOG in [min, max] and |heading - COG| >=
  min_divergence for min_duration while covering min_distance;
* at anchor: the ship leaves the circle around its anchoring point (anchor dragging in an
  anchorage), or its heading zig-zags (repeated reversals of >= zigzag_min_swing_deg), the
  yawing of a ship whose anchor does not hold.
Anywhere; more severe near / inside an asset corridor.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from seawarden.detect.base import Detector, RawEvents, clamp_severity, crossed, emit
from seawarden.track.geo import angle_diff_deg, haversine_m
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import BRK_NONE, TrackChunk

SUB_UNDERWAY, SUB_ANCHOR_MOVED, SUB_ZIGZAG = 0, 1, 2
NAV_AT_ANCHOR, NAV_MOORED = 1, 5
ZZ = 8  # reversal times remembered per vessel


@nb.njit(cache=True, nogil=True)
def _kernel(P, slot, sub, brk, prof, ts, lat, lon, sog, sogf, div, hdg, nav, in_corr, asset,
            d_start, d_last, d_lat, d_lon, d_emit, d_bad, d_maxdiv,
            a_start, a_n, a_lat, a_lon, a_fixed, a_emit, z_hdg, z_dir, z_ext, z_times, z_emit, ei, ef):
    n = 0
    for i in range(ts.shape[0]):
        if sub[i] != 0:
            continue
        s = slot[i]
        p = P[prof[i]]
        smin, smax, mdiv, mdur, mdist = p[0], p[1], p[2], p[3] * 1000, p[4]
        arad, amin, zswing, zcount, zwin, mgap, amax = p[5], p[6] * 1000, p[7], int(p[8]), p[9] * 1000, p[10] * 1000, p[11]
        fresh = brk[i] == BRK_NONE
        # ---- underway drift -------------------------------------------------------------------
        if d_start[s] != NO_TIME and (not fresh or ts[i] - d_last[s] > mgap):
            if d_emit[s]:
                ei, ef, n = emit(ei, ef, n, i + 1, s, 1, d_start[s], d_last[s], ts[i], asset[i], -1, prof[i],
                                 SUB_UNDERWAY, d_lat[s], d_lon[s])
                ef[n - 1, 3] = d_maxdiv[s]
            d_start[s] = NO_TIME
        anchored_nav = nav[i] == NAV_AT_ANCHOR or nav[i] == NAV_MOORED
        c = (not anchored_nav) and (not np.isnan(sog[i])) and sog[i] >= smin and sog[i] <= smax \
            and (not np.isnan(div[i])) and div[i] >= mdiv
        if c:
            d_bad[s] = 0
            if d_start[s] == NO_TIME:
                d_start[s] = ts[i]
                d_lat[s] = lat[i]
                d_lon[s] = lon[i]
                d_emit[s] = 0
                d_maxdiv[s] = 0.0
            d_last[s] = ts[i]
            d_maxdiv[s] = max(d_maxdiv[s], div[i])
            dist = haversine_m(d_lat[s], d_lon[s], lat[i], lon[i])
            if d_emit[s] == 0 and ts[i] - d_start[s] >= mdur and dist >= mdist:
                d_emit[s] = 1
                ei, ef, n = emit(ei, ef, n, i + 1, s, 0, d_start[s], NO_TIME, ts[i], asset[i], -1, prof[i],
                                 SUB_UNDERWAY, lat[i], lon[i])
                ef[n - 1, 2] = (ts[i] - d_start[s]) / 1000.0
                ef[n - 1, 3] = d_maxdiv[s]
                ef[n - 1, 4] = dist
                ef[n - 1, 5] = sog[i]
                ef[n - 1, 7] = 1.0 if in_corr[i] else 0.0
        elif d_start[s] != NO_TIME:
            d_bad[s] += 1
            if d_bad[s] >= 3:  # hysteresis: AIS heading noise must not split one drift in many
                if d_emit[s]:
                    ei, ef, n = emit(ei, ef, n, i + 1, s, 1, d_start[s], d_last[s], ts[i], asset[i], -1, prof[i],
                                     SUB_UNDERWAY, d_lat[s], d_lon[s])
                    ef[n - 1, 2] = (d_last[s] - d_start[s]) / 1000.0
                    ef[n - 1, 3] = d_maxdiv[s]
                d_start[s] = NO_TIME
        # ---- at anchor ------------------------------------------------------------------------
        sf = sogf[i]
        at_anchor = (nav[i] == NAV_AT_ANCHOR or (not np.isnan(sf) and sf < 0.5)) and not (not np.isnan(sf) and sf > amax)
        if a_start[s] != NO_TIME and (not fresh or (not np.isnan(sf) and sf > amax)):
            a_start[s] = NO_TIME  # weighed anchor and left: a dragging anchor does not make way this fast
        if a_start[s] == NO_TIME:
            if at_anchor and fresh:
                a_start[s] = ts[i]
                a_n[s] = 1
                a_lat[s] = lat[i]
                a_lon[s] = lon[i]
                a_fixed[s] = 0
                a_emit[s] = 0
                z_emit[s] = 0
                z_dir[s] = 0
                z_hdg[s] = hdg[i]
                z_ext[s] = hdg[i]
                for k in range(ZZ):
                    z_times[s, k] = NO_TIME
            continue
        if a_fixed[s] == 0:
            if ts[i] - a_start[s] < amin:
                a_n[s] += 1
                a_lat[s] += (lat[i] - a_lat[s]) / a_n[s]
                a_lon[s] += (lon[i] - a_lon[s]) / a_n[s]
            else:
                a_fixed[s] = 1
        if a_fixed[s] == 1 and a_emit[s] == 0:
            d = haversine_m(a_lat[s], a_lon[s], lat[i], lon[i])
            if d > arad:
                a_emit[s] = 1
                ei, ef, n = emit(ei, ef, n, i + 1, s, 1, a_start[s], ts[i], ts[i], asset[i], -1, prof[i],
                                 SUB_ANCHOR_MOVED, lat[i], lon[i])
                ef[n - 1, 2] = (ts[i] - a_start[s]) / 1000.0
                ef[n - 1, 4] = d
                ef[n - 1, 5] = sog[i]
                ef[n - 1, 7] = 1.0 if in_corr[i] else 0.0
        h = hdg[i]
        if not np.isnan(h):
            if np.isnan(z_hdg[s]):
                z_hdg[s] = h
                z_ext[s] = h
            else:
                step = angle_diff_deg(z_hdg[s], h)
                dirn = 1 if step > 0 else (-1 if step < 0 else 0)
                if dirn != 0:
                    if z_dir[s] != 0 and dirn != z_dir[s]:
                        swing = abs(angle_diff_deg(z_ext[s], z_hdg[s]))
                        if swing >= zswing:
                            for k in range(ZZ - 1):
                                z_times[s, k] = z_times[s, k + 1]
                            z_times[s, ZZ - 1] = ts[i]
                            old = z_times[s, ZZ - zcount] if zcount <= ZZ else NO_TIME
                            if z_emit[s] == 0 and old != NO_TIME and ts[i] - old <= zwin:
                                z_emit[s] = 1
                                ei, ef, n = emit(ei, ef, n, i + 1, s, 1, old, ts[i], ts[i], asset[i], -1, prof[i],
                                                 SUB_ZIGZAG, lat[i], lon[i])
                                ef[n - 1, 2] = (ts[i] - old) / 1000.0
                                ef[n - 1, 6] = zcount
                                ef[n - 1, 7] = 1.0 if in_corr[i] else 0.0
                        z_ext[s] = z_hdg[s]
                    z_dir[s] = dirn
                z_hdg[s] = h
    return ei, ef, n


class Drift(Detector):
    name = "drift"
    PARAMS = ("min_sog_kn", "max_sog_kn", "min_divergence_deg", "min_duration_s", "min_distance_m", "anchor_radius_m",
              "anchor_min_s", "zigzag_min_swing_deg", "zigzag_count", "zigzag_window_s", "max_gap_s", "anchor_drag_max_kn")
    VALUES = ("duration_s", "max_divergence_deg", "distance_m", "sog_kn", "reversals", "in_corridor")
    SUBTYPES = ("underway", "anchor_moved", "zigzag")
    STATE = {"d_start": (np.int64, NO_TIME, ()), "d_last": (np.int64, NO_TIME, ()), "d_lat": (np.float64, np.nan, ()),
             "d_lon": (np.float64, np.nan, ()), "d_emit": (np.int8, 0, ()), "d_bad": (np.int16, 0, ()),
             "d_maxdiv": (np.float64, 0.0, ()), "a_start": (np.int64, NO_TIME, ()), "a_n": (np.int64, 0, ()),
             "a_lat": (np.float64, np.nan, ()), "a_lon": (np.float64, np.nan, ()), "a_fixed": (np.int8, 0, ()),
             "a_emit": (np.int8, 0, ()), "z_hdg": (np.float64, np.nan, ()), "z_dir": (np.int8, 0, ()),
             "z_ext": (np.float64, np.nan, ()), "z_times": (np.int64, NO_TIME, (ZZ,)), "z_emit": (np.int8, 0, ())}

    def __init__(self, config, engine) -> None:
        super().__init__(config, engine)
        bad = [p["zigzag_count"] for p in self.profiles if not 2 <= int(p["zigzag_count"]) <= ZZ]
        if bad:
            raise ValueError(f"config: detectors.drift.zigzag_count must be 2..{ZZ}, got {bad[0]}")

    def process(self, chunk: TrackChunk) -> RawEvents:
        st = self.state.arrays
        fx = chunk.fixes
        ei, ef = self.buffers()
        ei, ef, n = _kernel(self.P, chunk.slot, chunk.sub, chunk.brk, chunk.profile, fx.ts, fx.lat, fx.lon, chunk.sog,
                            chunk.sog_fast, chunk.hdg_div, fx.heading, fx.nav_status, chunk.in_corridor, chunk.asset,
                            *(st[k] for k in self.STATE), ei, ef)
        return RawEvents(ei, ef, n)

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        if subtype == "underway":
            ev["max_divergence_deg"] = crossed(v["max_divergence_deg"], params["min_divergence_deg"])
            ev["duration_s"] = crossed(v["duration_s"], params["min_duration_s"])
            ev["distance_m"] = crossed(v["distance_m"], params["min_distance_m"])
        elif subtype == "anchor_moved":
            ev["distance_m"] = crossed(v["distance_m"], params["anchor_radius_m"])
        else:
            ev["reversals"] = crossed(v["reversals"], params["zigzag_count"])
            ev["duration_s"] = crossed(v["duration_s"], params["zigzag_window_s"])
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        near = np.isfinite(v.get("in_corridor", np.nan)) and v["in_corridor"] > 0.5
        return clamp_severity((3 if subtype != "underway" else 2) + (2 if near else 0))
