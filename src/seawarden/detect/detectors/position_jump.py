"""position_jump: positions a ship cannot have reached (impossible implied speed), positions
well inside land, and two transmitters sharing one MMSI (fixes alternating between two tracks
that are each internally plausible -- what GFW's segmenter separates into two segments).

The tracker decides reachability (track.max_speed_kn / noise_m); this detector turns its break
codes into events and suppresses per-jump noise once a two-ship situation is established.

A reappearance after a silence longer than the tracker's segment gap (1 h) starts a new segment
that the tracker does not judge; an impossible one (spoofing, a second ship on the MMSI) is
exactly what an operator wants flagged, so it is judged here by the same rule up to
`max_silence_s`. The rule needs no time-dependent threshold: the straight-line speed across a
silence is a lower bound of the speed the ship must have made, so a longer silence never makes
an impossible reappearance possible, and the noise allowance (noise_m) that protects short
intervals is negligible over an hour. The bound keeps out MMSIs re-issued or reused after days
(GFW's segmenter likewise stops linking positions after max_hours = 24 h, pipe-segment defaults).
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from seawarden.detect.base import Detector, RawEvents, clamp_severity, crossed, emit
from seawarden.detect.detectors.context import cell_is_land, mask_frame, on_land
from seawarden.track.geo import KNOT_MS, haversine_m
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import BRK_ALTERNATE, BRK_GAP, BRK_JUMP, TrackChunk

SUB_SPEED, SUB_LAND, SUB_TWO = 0, 1, 2


@nb.njit(cache=True, nogil=True)
def _kernel(P, vmax_kn, noise_m, slot, sub, brk, prof, ts, lat, lon, plat, plon, pts, dist, land, asset, in_corr,
            alt_n, alt_first, two_open, two_start, two_last, land_last, seen_ts, seen_lat, seen_lon, ei, ef):
    n = 0
    for i in range(ts.shape[0]):
        s = slot[i]
        p = P[prof[i]]
        need, window, max_silence = p[0], p[1] * 1000, p[3] * 1000
        if sub[i] == 0:
            # a reappearance after a silence longer than the tracker's segment gap starts a new segment
            # unjudged: judge it here, by the tracker's own rule (distance beyond the noise over the time)
            if brk[i] == BRK_GAP and seen_ts[s] != NO_TIME and ts[i] - seen_ts[s] <= max_silence:
                dt = (ts[i] - seen_ts[s]) / 1000.0
                d = haversine_m(seen_lat[s], seen_lon[s], lat[i], lon[i])
                if d > noise_m and (d - noise_m) / dt > vmax_kn * KNOT_MS:
                    ei, ef, n = emit(ei, ef, n, i + 1, s, 1, seen_ts[s], ts[i], ts[i], asset[i], -1, prof[i],
                                     SUB_SPEED, lat[i], lon[i])
                    ef[n - 1, 2] = d
                    ef[n - 1, 3] = dt
                    ef[n - 1, 4] = d / dt / KNOT_MS
                    ef[n - 1, 6] = seen_lat[s]
                    ef[n - 1, 7] = seen_lon[s]
                    ef[n - 1, 8] = 1.0 if in_corr[i] else 0.0
            seen_ts[s] = ts[i]
            seen_lat[s] = lat[i]
            seen_lon[s] = lon[i]
        # close a two-ship situation when the second transmitter has been quiet for the window
        if two_open[s] and ts[i] - two_last[s] > window:
            ei, ef, n = emit(ei, ef, n, i + 1, s, 1, two_start[s], two_last[s], ts[i], asset[i], -1, prof[i], SUB_TWO,
                             lat[i], lon[i])
            ef[n - 1, 5] = alt_n[s]
            two_open[s] = 0
            alt_n[s] = 0
        if brk[i] == BRK_ALTERNATE or brk[i] == BRK_JUMP:
            if alt_n[s] == 0 or ts[i] - alt_first[s] > window:
                alt_n[s] = 0
                alt_first[s] = ts[i]
            alt_n[s] += 1
            if two_open[s]:
                two_last[s] = ts[i]
            elif alt_n[s] >= need:
                two_open[s] = 1
                two_start[s] = alt_first[s]
                two_last[s] = ts[i]
                ei, ef, n = emit(ei, ef, n, i + 1, s, 0, alt_first[s], NO_TIME, ts[i], asset[i], -1, prof[i], SUB_TWO,
                                 lat[i], lon[i])
                ef[n - 1, 2] = dist[i]
                ef[n - 1, 5] = alt_n[s]
                ef[n - 1, 6] = plat[i]
                ef[n - 1, 7] = plon[i]
            elif brk[i] == BRK_JUMP:
                dt = (ts[i] - pts[i]) / 1000.0
                ei, ef, n = emit(ei, ef, n, i + 1, s, 1, pts[i], ts[i], ts[i], asset[i], -1, prof[i], SUB_SPEED,
                                 lat[i], lon[i])
                ef[n - 1, 2] = dist[i]
                ef[n - 1, 3] = dt
                ef[n - 1, 4] = dist[i] / dt / (1852.0 / 3600.0) if dt > 0 else np.inf
                ef[n - 1, 6] = plat[i]
                ef[n - 1, 7] = plon[i]
                ef[n - 1, 8] = 1.0 if in_corr[i] else 0.0
        if land[i] and (land_last[s] == NO_TIME or ts[i] - land_last[s] > window):
            land_last[s] = ts[i]
            ei, ef, n = emit(ei, ef, n, i + 1, s, 1, ts[i], ts[i], ts[i], asset[i], -1, prof[i], SUB_LAND, lat[i], lon[i])
    return ei, ef, n


@nb.njit(cache=True, nogil=True)
def _rings_on_land(lat, lon, idx, k, radii, cos_a, sin_a, ocean, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min,
                   lon_max, out):
    """Clear out[i] for each candidate i = idx[j] unless every ring sample around it is land: the
    same sample points, in the same arithmetic, as the array formulation in deep_inland's docstring."""
    for j in range(idx.size):
        i = idx[j]
        for r in radii:
            for q in range(cos_a.size):
                la = min(max(lat[i] + r * cos_a[q], -89.99), 89.99)
                lo = (lon[i] + r * sin_a[q] / k[j] + 180.0) % 360.0 - 180.0
                if not cell_is_land(la, lo, ocean, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min, lon_max):
                    out[i] = False
                    break
            if not out[i]:
                break


def deep_inland(lat: np.ndarray, lon: np.ndarray, margin_deg: float) -> np.ndarray:
    """True where every point of a disc of radius `margin_deg` around the fix is land.

    The 1 km GLOBE mask (global-land-mask) calls harbour basins, rivers and canals land, so a
    single lookup would flag every berth; sampling 5 rings x 16 bearings out to the margin keeps
    only fixes far from any water -- where no ship can be. Sample q of ring r around a fix is
    (clip(lat + r cos a_q, +-89.99), wrap(lon + r sin a_q / max(cos lat, 0.05))), looked up as
    global_land_mask.is_land does, all in one compiled pass (berths make many fixes "land").
    """
    try:
        from global_land_mask import globe
    except ImportError:  # optional dependency (extra "context"): no land test without it
        return np.zeros(lat.shape[0], bool)
    frame = mask_frame(globe)
    out = on_land(np.clip(lat, -89.99, 89.99), np.asarray(lon, np.float64), *frame)
    idx = np.flatnonzero(out)
    if not idx.size:
        return out
    ang = np.radians(np.arange(16) * 22.5)
    k = np.maximum(np.cos(np.radians(lat[idx])), 0.05)
    _rings_on_land(np.asarray(lat, np.float64), np.asarray(lon, np.float64), idx, k,
                   np.linspace(margin_deg / 5.0, margin_deg, 5), np.cos(ang), np.sin(ang), *frame, out)
    return out


class PositionJump(Detector):
    name = "position_jump"
    PARAMS = ("two_ship_alternations", "two_ship_window_s", "land_margin_deg", "max_silence_s")
    VALUES = ("distance_m", "dt_s", "implied_kn", "alternations", "from_lat", "from_lon", "in_corridor")
    SUBTYPES = ("impossible_speed", "on_land", "two_ships")
    STATE = {"alt_n": (np.int64, 0, ()), "alt_first": (np.int64, NO_TIME, ()), "two_open": (np.int8, 0, ()),
             "two_start": (np.int64, NO_TIME, ()), "two_last": (np.int64, NO_TIME, ()),
             "land_last": (np.int64, NO_TIME, ()), "seen_ts": (np.int64, NO_TIME, ()),
             "seen_lat": (np.float64, np.nan, ()), "seen_lon": (np.float64, np.nan, ())}

    def process(self, chunk: TrackChunk) -> RawEvents:
        st = self.state.arrays
        fx = chunk.fixes
        if self.profiles[0].get("land_check", True):
            land = deep_inland(fx.lat, fx.lon, float(self.profiles[0]["land_margin_deg"]))
        else:
            land = np.zeros(len(fx), bool)
        ei, ef = self.buffers()
        track = self.engine.config.track
        ei, ef, n = _kernel(self.P, float(track.max_speed_kn), float(track.noise_m), chunk.slot, chunk.sub, chunk.brk,
                            chunk.profile, fx.ts, fx.lat, fx.lon, chunk.prev_lat, chunk.prev_lon, chunk.prev_ts,
                            chunk.dist_m, land, chunk.asset, chunk.in_corridor, st["alt_n"], st["alt_first"],
                            st["two_open"], st["two_start"], st["two_last"], st["land_last"], st["seen_ts"],
                            st["seen_lat"], st["seen_lon"], ei, ef)
        return RawEvents(ei, ef, n)

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        track = self.engine.config.track
        if subtype == "impossible_speed":
            ev["implied_kn"] = crossed(v["implied_kn"], track.max_speed_kn)
            ev["distance_m"] = crossed(v["distance_m"], track.noise_m)
            ev["across_silence"] = bool(v["dt_s"] > track.segment_gap_s)  # a reappearance, not a jump in the track
        elif subtype == "two_ships":
            ev["alternations"] = crossed(v["alternations"], params["two_ship_alternations"])
        elif subtype == "on_land":
            ev["land_margin_deg"] = params["land_margin_deg"]
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        base = {"impossible_speed": 2, "on_land": 2, "two_ships": 3}[subtype]
        return clamp_severity(base + (1 if in_corr else 0))
