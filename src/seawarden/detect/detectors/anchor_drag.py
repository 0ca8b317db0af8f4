"""anchor_drag: a cruising ship slows markedly against its *own* recent cruising speed inside
an asset corridor while keeping its course -- the Eagle S (Estlink 2, Dec 2024) signature:
~8.5 -> ~6.3 kn over ~35 min, course held, AIS on, nav_status not "at anchor".

The baseline is the tracker's 45-min cruising EWMA, frozen at the moment the drop begins, so a
long drag cannot teach the baseline that the slow speed is normal. The corridor condition holds
if the ship was in a corridor at any fix of the sustained slowdown, or within
corridor_lookback_s before it began: a ship dragging across a cable at an angle leaves the
corridor long before its speed has visibly dropped and the drop has lasted sustain_s (Eagle S).

A drag can touch several assets (Eagle S: Estlink 2 and four telecom cables). Every asset whose
corridor the drag touched (nearest asset in its corridor at a fix) or whose line a step crossed,
from the end of cruise on, is listed in the evidence (`assets`: id, name, first contact, km point,
crossing time). The event's asset is the first one the drag CROSSED, else the nearest one touched,
and it is decided once, when the event opens: the alert pipeline keys alerts by (vessel, asset,
type) and the event id hashes the asset, so the closing report must name the same asset.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numba as nb
import numpy as np

from seawarden.detect.base import Detector, RawEvents, clamp_severity, crossed, emit
from seawarden.detect.detectors.cable_crossing import STEP_MARGIN_M, STEP_SLACK
from seawarden.detect.event import iso
from seawarden.track.geo import angle_diff_deg, haversine_m
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import BRK_NONE, TrackChunk


#: assets one drag can list (Eagle S touched five; the demo's 80 km drag along the Gulf touches ten)
MAX_ASSETS = 16
#: per listed asset, integer fields: asset index (free: < 0), first contact, last contact, first crossing (ms)
T_ASSET, T_FIRST, T_LAST, T_CROSS = 0, 1, 2, 3
#: ... float fields: km point at first contact, at last contact, last distance, at first crossing, closest distance
T_FKM, T_LKM, T_LDIST, T_XKM, T_DMIN = 0, 1, 2, 3, 4
ASSET_FIELDS = ("idx", "first_ms", "km", "crossed_ms", "distance_m")


@nb.njit(cache=True, nogil=True)
def _touch(Ti, Tf, s, a, t, km, dist, crossed):
    """Record a contact of slot s with asset a (a corridor fix, or a crossing at distance 0); 1 if the list is full."""
    j = -1
    free = -1
    for k in range(Ti.shape[1]):
        if Ti[s, k, T_ASSET] == a:
            j = k
            break
        if free < 0 and Ti[s, k, T_ASSET] < 0:
            free = k
    if j < 0:
        if free < 0:
            return 1
        j = free
        Ti[s, j, T_ASSET] = a
        Ti[s, j, T_FIRST] = t
        Ti[s, j, T_CROSS] = NO_TIME
        Tf[s, j, T_FKM] = km
        Tf[s, j, T_XKM] = np.nan
        Tf[s, j, T_DMIN] = dist
    Ti[s, j, T_LAST] = t
    Tf[s, j, T_LKM] = km
    Tf[s, j, T_LDIST] = dist
    if dist < Tf[s, j, T_DMIN]:
        Tf[s, j, T_DMIN] = dist
    if crossed and Ti[s, j, T_CROSS] == NO_TIME:
        Ti[s, j, T_CROSS] = t
        Tf[s, j, T_XKM] = km
    return 0


@nb.njit(cache=True, nogil=True)
def _prune(Ti, Tf, s, keep_from):
    """Forget contacts before keep_from: an asset last met earlier leaves the list; one met before and since
    restarts at its latest contact (or its crossing, if that came after keep_from)."""
    for k in range(Ti.shape[1]):
        if Ti[s, k, T_ASSET] < 0 or Ti[s, k, T_FIRST] >= keep_from:
            continue
        if Ti[s, k, T_LAST] < keep_from:
            Ti[s, k, T_ASSET] = NO_TIME
        elif Ti[s, k, T_CROSS] >= keep_from:
            Ti[s, k, T_FIRST] = Ti[s, k, T_CROSS]
            Tf[s, k, T_FKM] = Tf[s, k, T_XKM]
            Tf[s, k, T_DMIN] = 0.0
        else:
            Ti[s, k, T_FIRST] = Ti[s, k, T_LAST]
            Ti[s, k, T_CROSS] = NO_TIME
            Tf[s, k, T_FKM] = Tf[s, k, T_LKM]
            Tf[s, k, T_XKM] = np.nan
            Tf[s, k, T_DMIN] = Tf[s, k, T_LDIST]


@nb.njit(cache=True, nogil=True)
def _touched_since(Ti, s, t):
    """Whether any listed asset was met at or after t."""
    for k in range(Ti.shape[1]):
        if Ti[s, k, T_ASSET] >= 0 and Ti[s, k, T_LAST] >= t:
            return True
    return False


@nb.njit(cache=True, nogil=True)
def _event_asset(Ti, Tf, s):
    """The asset an event names: the first one crossed, else the closest one touched; -1 if none."""
    best = -1
    for k in range(Ti.shape[1]):
        if Ti[s, k, T_ASSET] < 0:
            continue
        if best < 0:
            best = k
            continue
        bx, kx = Ti[s, best, T_CROSS], Ti[s, k, T_CROSS]
        if kx != NO_TIME and (bx == NO_TIME or kx < bx):
            best = k
        elif kx == NO_TIME and bx == NO_TIME and Tf[s, k, T_DMIN] < Tf[s, best, T_DMIN]:
            best = k
    return -1 if best < 0 else Ti[s, best, T_ASSET]


@nb.njit(cache=True, nogil=True)
def _write_assets(ef, row, col, Ti, Tf, s, unlisted):
    """The touched-asset list into the event's value columns (MAX_ASSETS x ASSET_FIELDS, then the overflow count)."""
    for k in range(Ti.shape[1]):
        c = col + k * 5
        if Ti[s, k, T_ASSET] < 0:
            continue
        crossed = Ti[s, k, T_CROSS] != NO_TIME
        ef[row, c] = Ti[s, k, T_ASSET]
        ef[row, c + 1] = Ti[s, k, T_FIRST]
        ef[row, c + 2] = Tf[s, k, T_XKM] if crossed else Tf[s, k, T_FKM]
        ef[row, c + 3] = Ti[s, k, T_CROSS] if crossed else np.nan
        ef[row, c + 4] = Tf[s, k, T_DMIN]
    ef[row, col + Ti.shape[1] * 5] = unlisted


@nb.njit(cache=True, nogil=True)
def _kernel(P, slot, sub, brk, prof, ts, lat, lon, fast, base, course, in_corr, asset, adist, km_point,
            x_lo, x_hi, x_asset, x_ts, x_km,
            c_start, c_base, c_course, c_last, c_emit, c_maxdrop, c_lat, c_lon, c_dist, c_asset, c_elat, c_elon,
            c_prof, c_plat, c_plon, c_unlisted, c_gate, c_cruise, c_stop, c_ccourse, c_abrupt, Ti, Tf, ei, ef):
    n = 0
    for i in range(ts.shape[0]):
        if sub[i] != 0:
            continue
        s = slot[i]
        p = P[prof[i]]
        min_base, min_drop, max_ratio, min_sog, sustain, tol, recover = p[0], p[1], p[2], p[3], p[4] * 1000, p[5], p[6]
        lookback, onset_tol, onset_min, onset_max = p[7] * 1000, p[8] * 1000, p[9] * 1000, p[10] * 1000
        lead = p[11] * 1000
        f = fast[i]
        full = 0
        for x in range(x_lo[i], x_hi[i]):  # lines crossed on the step to this fix, in order
            full += _touch(Ti, Tf, s, x_asset[x], x_ts[x], x_km[x], 0.0, True)
        if in_corr[i]:
            full += _touch(Ti, Tf, s, asset[i], ts[i], km_point[i], adist[i], False)
        if c_start[s] != NO_TIME:
            c_unlisted[s] += full
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
                    _write_assets(ef, n - 1, 11, Ti, Tf, s, c_unlisted[s])
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
                due = c_emit[s] == 0 and ts[i] - c_start[s] >= sustain and _touched_since(Ti, s, c_gate[s])
                hit_asset = _event_asset(Ti, Tf, s) if due else -1
                if hit_asset >= 0:  # decided once: the closing report names the same asset (event id, alert key)
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
                    _write_assets(ef, n - 1, 11, Ti, Tf, s, c_unlisted[s])
        if not np.isnan(f) and f < min_sog:
            c_stop[s] = ts[i]  # stopped: speeds below baseline until it cruises again are a departure, not a drag
        if c_start[s] == NO_TIME and brk[i] == BRK_NONE and not np.isnan(f) and not np.isnan(base[i]) \
                and f >= base[i] - 0.2 * min_drop:
            c_cruise[s] = ts[i]  # still at cruising speed: a later slowdown began after this
            c_ccourse[s] = course[i]  # ... on this course, which a drag keeps
            c_abrupt[s] = 0
        if c_start[s] == NO_TIME:
            # contacts count for a drag from the end of cruise on (a ferry that crosses at full speed and slows
            # later to enter port is not dragging across the cable); the list keeps `lead` more of them
            _prune(Ti, Tf, s, c_cruise[s] - onset_tol - lead if c_cruise[s] != NO_TIME else ts[i] - lookback)
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
                c_unlisted[s] = 0
                # a drag begun at the line only shows as a drop after the ramp: contacts up to lookback before count
                # ... if the ship was still at the line when it stopped cruising (c_gate); the asset list and the
                # event's asset reach `lead` further back: the fast SOG smoother shows the end of cruise that late
                c_gate[s] = max(c_cruise[s] - onset_tol, ts[i] - lookback)
                _prune(Ti, Tf, s, max(c_cruise[s] - onset_tol - lead, ts[i] - lookback))
    return ei, ef, n


class AnchorDrag(Detector):
    name = "anchor_drag"
    PARAMS = ("min_baseline_kn", "min_drop_kn", "max_ratio", "min_sog_kn", "sustain_s", "course_tolerance_deg",
              "recover_fraction", "corridor_lookback_s", "onset_tolerance_s", "min_onset_s", "max_onset_s",
              "attribution_lead_s")
    SCALARS = ("sog_drop_kn", "sog_ratio", "baseline_kn", "sog_kn", "duration_s", "course_change_deg",
               "distance_m", "in_corridor", "asset_distance_m")
    ASSET_VALUES = tuple(f"asset{k}_{f}" for k in range(MAX_ASSETS) for f in ASSET_FIELDS)
    VALUES = SCALARS + ASSET_VALUES + ("assets_unlisted",)
    STATE = {
        "start": (np.int64, NO_TIME, ()), "base": (np.float64, np.nan, ()), "course": (np.float64, np.nan, ()),
        "last": (np.int64, NO_TIME, ()), "emit": (np.int8, 0, ()), "maxdrop": (np.float64, 0.0, ()),
        "lat": (np.float64, np.nan, ()), "lon": (np.float64, np.nan, ()), "dist": (np.float64, 0.0, ()),
        "asset": (np.int32, -1, ()), "elat": (np.float64, np.nan, ()), "elon": (np.float64, np.nan, ()),
        "prof": (np.int16, 0, ()), "plat": (np.float64, np.nan, ()), "plon": (np.float64, np.nan, ()),
        "unlisted": (np.int32, 0, ()), "gate": (np.int64, NO_TIME, ()), "cruise": (np.int64, NO_TIME, ()), "stop": (np.int64, NO_TIME, ()),
        "ccourse": (np.float64, np.nan, ()), "abrupt": (np.int8, 0, ()),
        "touched_i": (np.int64, NO_TIME, (MAX_ASSETS, 4)), "touched_f": (np.float64, np.nan, (MAX_ASSETS, 5)),
    }

    def process(self, chunk: TrackChunk) -> RawEvents:
        st = self.state.arrays
        fx = chunk.fixes
        x_lo, x_hi, x_asset, x_ts, x_km = self._crossings(chunk)
        ei, ef = self.buffers()
        ei, ef, n = _kernel(self.P, chunk.slot, chunk.sub, chunk.brk, chunk.profile, fx.ts, fx.lat, fx.lon,
                            chunk.sog_fast, chunk.sog_base, chunk.course, chunk.in_corridor, chunk.asset,
                            chunk.asset_dist_m, _corridor_km_points(chunk), x_lo, x_hi, x_asset, x_ts, x_km,
                            st["start"], st["base"], st["course"], st["last"], st["emit"],
                            st["maxdrop"], st["lat"], st["lon"], st["dist"], st["asset"], st["elat"], st["elon"],
                            st["prof"], st["plat"], st["plon"], st["unlisted"], st["gate"], st["cruise"], st["stop"],
                            st["ccourse"], st["abrupt"], st["touched_i"], st["touched_f"], ei, ef)
        return RawEvents(ei, ef, n)

    def _crossings(self, chunk: TrackChunk):
        """Asset lines crossed on each primary step, as per-row ranges [x_lo, x_hi) into (asset, time, km point).

        A crossing step can end outside every corridor (a long step across a narrow one), so crossings are
        tested on the steps themselves, prefiltered like cable_crossing's (steps ending farther from every
        asset than they are long cannot cross one)."""
        n = len(chunk)
        index = self.engine.spatial.index
        empty = np.zeros(n, np.int64)
        if index is None or not n:
            return empty, empty, np.empty(0, np.int32), np.empty(0, np.int64), np.empty(0)
        reach = chunk.dist_m * STEP_SLACK + STEP_MARGIN_M
        may_cross = (chunk.asset_dist_m <= reach) | (reach >= self.engine.spatial.near_m)
        sel = np.flatnonzero((chunk.sub == 0) & (chunk.brk == BRK_NONE) & (chunk.prev_ts != NO_TIME)
                             & (chunk.dt_s > 0) & (chunk.dist_m > 0) & may_cross)
        r = index.crossings(chunk.prev_lon[sel], chunk.prev_lat[sel], chunk.fixes.lon[sel], chunk.fixes.lat[sel])
        rows = sel[np.asarray(r.pair_idx, dtype=np.int64)]  # sorted by row, then along the step
        t = chunk.prev_ts[rows] + np.round(np.asarray(r.frac) * chunk.dt_s[rows] * 1000.0).astype(np.int64)
        at = np.arange(n)
        return (np.searchsorted(rows, at), np.searchsorted(rows, at, side="right"), np.asarray(r.asset_idx, np.int32),
                t, np.asarray(r.km_point, np.float64))

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence({k: v[k] for k in self.SCALARS}, params, subtype)
        ev.update({
            "sog_drop_kn": crossed(v["sog_drop_kn"], params["min_drop_kn"]),
            "sog_ratio": crossed(v["sog_ratio"], params["max_ratio"]),
            "baseline_kn": crossed(v["baseline_kn"], params["min_baseline_kn"]),
            "duration_s": crossed(v["duration_s"], params["sustain_s"]),
            "course_change_deg": crossed(v["course_change_deg"], params["course_tolerance_deg"]),
            "assets": self._touched_assets(v),
            "assets_unlisted": int(v["assets_unlisted"]) if np.isfinite(v["assets_unlisted"]) else 0,
        })
        return ev

    def _touched_assets(self, v: dict[str, float]) -> list[dict[str, Any]]:
        """Every asset the drag touched, in order of first contact: which, when, where along it, crossed or not."""
        out = []
        for k in range(MAX_ASSETS):
            idx = v[f"asset{k}_idx"]
            if not np.isfinite(idx):
                continue
            asset_id, asset_name, _ = self.engine.spatial.asset_info(int(idx))
            crossed_ms = v[f"asset{k}_crossed_ms"]
            out.append({"id": asset_id, "name": asset_name, "first": iso(int(v[f"asset{k}_first_ms"])),
                        "km_point": _rounded(v[f"asset{k}_km"]), "crossed": bool(np.isfinite(crossed_ms)),
                        "crossed_at": iso(int(crossed_ms)) if np.isfinite(crossed_ms) else None,
                        "closest_m": _rounded(v[f"asset{k}_distance_m"], 1)})
        return sorted(out, key=lambda a: a["first"])

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        return clamp_severity(3 + (1 if in_corr else 0) + (1 if crit >= 4 else 0))


def _corridor_km_points(chunk: TrackChunk) -> np.ndarray:
    """km points of the in-corridor fixes only (NaN elsewhere): chainage is measured on demand because few fixes
    need it, and only corridor contacts enter a drag's asset list."""
    km = np.full(len(chunk), np.nan)
    sel = np.flatnonzero(chunk.in_corridor)
    measure = getattr(chunk, "chainage", None)
    if sel.size and isinstance(measure, partial):  # the engine's measure: (asset, segment, t) columns bound
        km[sel] = measure.func(*(np.asarray(a)[sel] for a in measure.args))
    elif sel.size:
        km[sel] = chunk.km_point[sel]
    return km


def _rounded(x: float, digits: int = 3) -> float | None:
    return round(float(x), digits) if np.isfinite(x) else None
