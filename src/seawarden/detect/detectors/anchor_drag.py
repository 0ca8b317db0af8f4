"""anchor_drag: a cruising ship slows markedly against its *own* recent cruising speed inside
an asset corridor while keeping its course -- the Eagle S (Estlink 2, Dec 2024) signature:
~8.5 -> ~6.3 kn over ~35 min, course held, AIS on, nav_status not "at anchor".

The baseline is the tracker's 45-min cruising EWMA, frozen at the moment the drop begins, so a
long drag cannot teach the baseline that the slow speed is normal. The corridor condition holds
if the ship was in a corridor at any fix of the sustained slowdown, or within
corridor_lookback_s before it began: a ship dragging across a cable at an angle leaves the
corridor long before its speed has visibly dropped and the drop has lasted sustain_s (Eagle S).
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from seawarden.detect.base import Detector, RawEvents, clamp_severity, crossed, emit
from seawarden.track.geo import angle_diff_deg, haversine_m
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import BRK_NONE, TrackChunk


@nb.njit(cache=True, nogil=True)
def _kernel(P, slot, sub, brk, prof, ts, lat, lon, fast, base, course, in_corr, asset, adist,
            c_start, c_base, c_course, c_last, c_emit, c_maxdrop, c_lat, c_lon, c_dist, c_asset, c_elat, c_elon,
            c_prof, c_plat, c_plon, c_hit, c_lct, c_lca, c_cruise, c_stop, c_ccourse, c_abrupt, ei, ef):
    n = 0
    for i in range(ts.shape[0]):
        if sub[i] != 0:
            continue
        s = slot[i]
        p = P[prof[i]]
        min_base, min_drop, max_ratio, min_sog, sustain, tol, recover = p[0], p[1], p[2], p[3], p[4] * 1000, p[5], p[6]
        lookback, onset_tol, onset_min, onset_max = p[7] * 1000, p[8] * 1000, p[9] * 1000, p[10] * 1000
        f = fast[i]
        if in_corr[i]:
            c_lct[s] = ts[i]  # last corridor contact, remembered across candidates
            c_lca[s] = asset[i]
        if c_start[s] != NO_TIME:
            ended = brk[i] != BRK_NONE or np.isnan(f) or f > c_base[s] - min_drop * recover or f < min_sog
            cc = abs(angle_diff_deg(c_course[s], course[i])) if not np.isnan(course[i]) else 0.0
            if cc > tol:
                ended = True
            if ended:
                if c_emit[s]:
                    ei, ef, n = emit(ei, ef, n, i + 1, s, 1, c_start[s], c_last[s], ts[i], c_asset[s], -1, c_prof[s], 0,
                                     c_elat[s], c_elon[s])
                    ef[n - 1, 2] = c_maxdrop[s]
                    ef[n - 1, 3] = (c_base[s] - c_maxdrop[s]) / c_base[s]
                    ef[n - 1, 4] = c_base[s]
                    ef[n - 1, 5] = c_base[s] - c_maxdrop[s]
                    ef[n - 1, 6] = (c_last[s] - c_start[s]) / 1000.0
                    ef[n - 1, 7] = cc
                    ef[n - 1, 8] = c_dist[s]
                    ef[n - 1, 9] = 1.0
                    ef[n - 1, 10] = np.nan
                c_start[s] = NO_TIME
                c_emit[s] = 0
            else:
                c_dist[s] += haversine_m(c_plat[s], c_plon[s], lat[i], lon[i])
                c_plat[s] = lat[i]
                c_plon[s] = lon[i]
                c_last[s] = ts[i]
                drop = c_base[s] - f
                if drop > c_maxdrop[s]:
                    c_maxdrop[s] = drop
                if c_hit[s] < 0 and in_corr[i]:
                    c_hit[s] = asset[i]  # the corridor this slowdown touched
                if c_emit[s] == 0 and ts[i] - c_start[s] >= sustain and (in_corr[i] or c_hit[s] >= 0):
                    hit_asset = asset[i] if in_corr[i] else c_hit[s]
                    c_emit[s] = 1
                    c_asset[s] = hit_asset
                    c_elat[s] = lat[i]
                    c_elon[s] = lon[i]
                    c_prof[s] = prof[i]
                    ei, ef, n = emit(ei, ef, n, i + 1, s, 0, c_start[s], NO_TIME, ts[i], hit_asset, -1, prof[i], 0,
                                     lat[i], lon[i])
                    ef[n - 1, 2] = drop
                    ef[n - 1, 3] = f / c_base[s]
                    ef[n - 1, 4] = c_base[s]
                    ef[n - 1, 5] = f
                    ef[n - 1, 6] = (ts[i] - c_start[s]) / 1000.0
                    ef[n - 1, 7] = cc
                    ef[n - 1, 8] = c_dist[s]
                    ef[n - 1, 9] = 1.0
                    ef[n - 1, 10] = adist[i] if in_corr[i] else np.nan
        if not np.isnan(f) and f < min_sog:
            c_stop[s] = ts[i]  # stopped: speeds below baseline until it cruises again are a departure, not a drag
        if c_start[s] == NO_TIME and brk[i] == BRK_NONE and not np.isnan(f) and not np.isnan(base[i]) \
                and f >= base[i] - 0.2 * min_drop:
            c_cruise[s] = ts[i]  # still at cruising speed: a later slowdown began after this
            c_ccourse[s] = course[i]  # ... on this course, which a drag keeps
            c_abrupt[s] = 0
        if c_start[s] == NO_TIME and brk[i] == BRK_NONE:
            b = base[i]
            from_cruise = c_cruise[s] != NO_TIME and (c_stop[s] == NO_TIME or c_cruise[s] > c_stop[s])
            # a drag is a gradual loss of speed straight out of cruise: a drop reached within onset_min of the last
            # cruising fix is an engine order, one that starts onset_max after it is no drop from cruise any more
            # (a slow ship creeping about an hour after it slowed down), and a new course is a manoeuvre
            onset = ts[i] - c_cruise[s]
            kept = np.isnan(course[i]) or np.isnan(c_ccourse[s]) or abs(angle_diff_deg(c_ccourse[s], course[i])) <= tol
            dropped = (not np.isnan(b)) and (not np.isnan(f)) and b >= min_base and f >= min_sog and b - f >= min_drop \
                and f <= b * max_ratio
            if dropped and onset < onset_min:
                c_abrupt[s] = 1  # the whole slowdown is an engine order until the ship cruises again
            from_cruise = from_cruise and c_abrupt[s] == 0 and onset_min <= onset <= onset_max and kept
            if dropped and from_cruise:
                c_start[s] = ts[i]
                c_base[s] = b
                c_course[s] = c_ccourse[s] if not np.isnan(c_ccourse[s]) else (course[i] if not np.isnan(course[i]) else 0.0)
                c_last[s] = ts[i]
                c_maxdrop[s] = b - f
                c_dist[s] = 0.0
                c_plat[s] = lat[i]
                c_plon[s] = lon[i]
                c_emit[s] = 0
                # a drag begun at the line only shows as a drop after the ramp: look back for the contact
                # ... but only if the ship was still at the line when it stopped cruising (a ferry that crosses at
                # full speed and slows later to enter port is not dragging across the cable)
                recent = c_lct[s] != NO_TIME and ts[i] - c_lct[s] <= lookback and c_lct[s] >= c_cruise[s] - onset_tol
                c_hit[s] = asset[i] if in_corr[i] else (c_lca[s] if recent else -1)
    return ei, ef, n


class AnchorDrag(Detector):
    name = "anchor_drag"
    PARAMS = ("min_baseline_kn", "min_drop_kn", "max_ratio", "min_sog_kn", "sustain_s", "course_tolerance_deg",
              "recover_fraction", "corridor_lookback_s", "onset_tolerance_s", "min_onset_s", "max_onset_s")
    VALUES = ("sog_drop_kn", "sog_ratio", "baseline_kn", "sog_kn", "duration_s", "course_change_deg",
              "distance_m", "in_corridor", "asset_distance_m")
    STATE = {
        "start": (np.int64, NO_TIME, ()), "base": (np.float64, np.nan, ()), "course": (np.float64, np.nan, ()),
        "last": (np.int64, NO_TIME, ()), "emit": (np.int8, 0, ()), "maxdrop": (np.float64, 0.0, ()),
        "lat": (np.float64, np.nan, ()), "lon": (np.float64, np.nan, ()), "dist": (np.float64, 0.0, ()),
        "asset": (np.int32, -1, ()), "elat": (np.float64, np.nan, ()), "elon": (np.float64, np.nan, ()),
        "prof": (np.int16, 0, ()), "plat": (np.float64, np.nan, ()), "plon": (np.float64, np.nan, ()),
        "hit": (np.int32, -1, ()), "lct": (np.int64, NO_TIME, ()), "lca": (np.int32, -1, ()),
        "cruise": (np.int64, NO_TIME, ()), "stop": (np.int64, NO_TIME, ()), "ccourse": (np.float64, np.nan, ()),
        "abrupt": (np.int8, 0, ()),
    }

    def process(self, chunk: TrackChunk) -> RawEvents:
        st = self.state.arrays
        fx = chunk.fixes
        ei, ef = self.buffers()
        ei, ef, n = _kernel(self.P, chunk.slot, chunk.sub, chunk.brk, chunk.profile, fx.ts, fx.lat, fx.lon,
                            chunk.sog_fast, chunk.sog_base, chunk.course, chunk.in_corridor, chunk.asset,
                            chunk.asset_dist_m, st["start"], st["base"], st["course"], st["last"], st["emit"],
                            st["maxdrop"], st["lat"], st["lon"], st["dist"], st["asset"], st["elat"], st["elon"],
                            st["prof"], st["plat"], st["plon"], st["hit"], st["lct"], st["lca"], st["cruise"], st["stop"],
                            st["ccourse"], st["abrupt"], ei, ef)
        return RawEvents(ei, ef, n)

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        ev.update({
            "sog_drop_kn": crossed(v["sog_drop_kn"], params["min_drop_kn"]),
            "sog_ratio": crossed(v["sog_ratio"], params["max_ratio"]),
            "baseline_kn": crossed(v["baseline_kn"], params["min_baseline_kn"]),
            "duration_s": crossed(v["duration_s"], params["sustain_s"]),
            "course_change_deg": crossed(v["course_change_deg"], params["course_tolerance_deg"]),
        })
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        return clamp_severity(3 + (1 if in_corr else 0) + (1 if crit >= 4 else 0))
