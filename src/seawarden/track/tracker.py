"""The tracker: one compiled pass over time-ordered fixes that segments tracks and derives
the per-fix columns every detector uses.

Segmentation follows the idea of GFW's gpsdio-segment: a fix joins the track it could
physically have come from. Each MMSI keeps a *primary* and one *alternate* sub-track, so two
transmitters sharing one MMSI (or a spoofed/glitched position) do not corrupt the primary
track's speeds and baselines; a fix reachable from neither starts the alternate (a "jump").
If the primary goes silent while the alternate keeps reporting, the alternate is promoted.

Derived per fix (against the previous fix of the same sub-track): dt, haversine distance,
implied speed, effective SOG/COG (reported, else derived from the positions -- some archives
carry no SOG/COG), turn rate, heading-vs-COG divergence, and three time-constant EWMAs:
fast SOG (minutes), cruising-speed baseline (tens of minutes, underway fixes only; speeds
below `baseline_hold_ratio` x baseline pull it down `baseline_slow_factor` times slower, so a
gradual 35-min slowdown does not teach the baseline it is normal) and smoothed course. Time constants rather than sample counts keep them independent of the
reporting rate (2 s underway ... 3 min at anchor).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numba as nb
import numpy as np

from seawarden.track.fixes import Fixes
from seawarden.track.geo import KNOT_MS, angle_diff_deg, bearing_deg, haversine_m
from seawarden.track.state import NO_TIME, SlotArrays, VesselTable

# break codes (TrackChunk.brk)
BRK_NONE = 0
BRK_FIRST = 1  # first fix of the vessel
BRK_GAP = 2  # time gap longer than segment_gap_s
BRK_JUMP = 3  # unreachable from the primary at a plausible speed: starts the alternate
BRK_ALTERNATE = 4  # reachable from the alternate sub-track only
BRK_PROMOTED = 5  # alternate took over as primary (primary went silent)


@dataclass(frozen=True)
class TrackParams:
    segment_gap_s: float = 3600.0
    max_speed_kn: float = 50.0
    noise_m: float = 250.0
    promote_after_s: float = 1800.0
    tau_fast_s: float = 300.0
    tau_baseline_s: float = 2700.0
    tau_course_s: float = 600.0
    underway_kn: float = 3.0
    derive_min_dt_s: float = 20.0
    baseline_hold_ratio: float = 0.97
    baseline_slow_factor: float = 4.0
    ring_size: int = 32

    def vector(self) -> np.ndarray:
        return np.array(
            [self.segment_gap_s, self.max_speed_kn, self.noise_m, self.promote_after_s, self.tau_fast_s,
             self.tau_baseline_s, self.tau_course_s, self.underway_kn, self.derive_min_dt_s,
             self.baseline_hold_ratio, self.baseline_slow_factor]
        )


@dataclass
class TrackChunk:
    """A time-ordered slice of fixes with everything derived for it; the detectors' input."""

    fixes: Fixes
    slot: np.ndarray  # int32 vessel slot
    sub: np.ndarray  # int8 0 primary / 1 alternate
    seg: np.ndarray  # int32 segment number of the vessel
    brk: np.ndarray  # int8 break code (BRK_*)
    prev_ts: np.ndarray  # int64 ms of previous fix on the same sub-track (NO_TIME if none)
    prev_lat: np.ndarray
    prev_lon: np.ndarray
    dt_s: np.ndarray
    dist_m: np.ndarray
    implied_kn: np.ndarray
    sog: np.ndarray  # effective SOG (reported, else implied)
    cog: np.ndarray  # effective COG (reported, else bearing from previous fix)
    turn_deg_min: np.ndarray  # signed COG change rate
    hdg_div: np.ndarray  # |heading - COG|, 0..180
    sog_fast: np.ndarray
    sog_base: np.ndarray  # cruising-speed baseline (NaN until underway)
    course: np.ndarray  # smoothed course, degrees
    # filled by the engine's spatial step
    asset: np.ndarray | None = None  # int32 nearest asset within reach, -1 none
    asset_dist_m: np.ndarray | None = None
    in_corridor: np.ndarray | None = None  # bool
    in_anchorage: np.ndarray | None = None  # bool
    profile: np.ndarray | None = None  # int16 per-area configuration profile
    chainage: Callable[[], np.ndarray] | None = None  # measures km_point (on demand: few fixes need it)

    def __len__(self) -> int:
        return len(self.fixes)

    @property
    def km_point(self) -> np.ndarray:
        """Chainage (km along the nearest asset) of every fix, NaN where none."""
        return self.chainage() if self.chainage is not None else np.full(len(self), np.nan)


_STATE_SPEC = {
    "ts2": (np.int64, NO_TIME, (2,)),
    "lat2": (np.float64, np.nan, (2,)),
    "lon2": (np.float64, np.nan, (2,)),
    "cog2": (np.float64, np.nan, (2,)),
    "seg": (np.int32, -1, ()),
    "fast": (np.float64, np.nan, ()),
    "base": (np.float64, np.nan, ()),
    "cx": (np.float64, 0.0, ()),
    "cy": (np.float64, 0.0, ()),
    "ew_ts": (np.int64, NO_TIME, ()),
}


@nb.njit(cache=True, nogil=True)
def _alpha(dt: float, tau: float) -> float:
    return 1.0 - math.exp(-dt / tau) if dt > 0 else 0.0


@nb.njit(cache=True, nogil=True)
def _track_kernel(slot, ts, lat, lon, sog_in, cog_in, heading, p, ts2, lat2, lon2, cog2, seg, fast, base, cx, cy, ew_ts,
                  o_sub, o_seg, o_brk, o_pts, o_plat, o_plon, o_dt, o_dist, o_imp, o_sog, o_cog, o_turn, o_div,
                  o_fast, o_base, o_course):
    seg_gap, vmax, noise, promote, tau_f, tau_b, tau_c, underway, min_dt = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
    hold, slow = p[9], p[10]
    vmax_ms = vmax * KNOT_MS
    for i in range(ts.shape[0]):
        s = slot[i]
        t = ts[i]
        # reachability from each sub-track
        best = -1
        best_v = 1e300
        fresh0 = False
        d_sub0 = np.nan  # distance from each sub-track's last fix, reused for the derived columns
        d_sub1 = np.nan
        for k in range(2):
            if ts2[s, k] == NO_TIME:
                continue
            dt = (t - ts2[s, k]) / 1000.0
            if dt > seg_gap:
                continue
            if k == 0:
                fresh0 = True
            d = haversine_m(lat2[s, k], lon2[s, k], lat[i], lon[i])
            if k == 0:
                d_sub0 = d
            else:
                d_sub1 = d
            ok = d <= noise or (dt > 0 and (d - noise) / dt <= vmax_ms)
            if ok:
                v = d / dt if dt > 0 else 0.0
                if v < best_v:
                    best_v = v
                    best = k
        brk = BRK_NONE
        if best == 0:
            k = 0
        elif best == 1:
            k = 1
            brk = BRK_ALTERNATE
            if ts2[s, 0] == NO_TIME or (t - ts2[s, 0]) / 1000.0 > promote:
                # primary silent: the alternate becomes the primary track
                ts2[s, 0] = ts2[s, 1]
                lat2[s, 0] = lat2[s, 1]
                lon2[s, 0] = lon2[s, 1]
                cog2[s, 0] = cog2[s, 1]
                ts2[s, 1] = NO_TIME
                k = 0
                brk = BRK_PROMOTED
                d_sub0 = d_sub1
        elif not fresh0:
            k = 0
            brk = BRK_FIRST if ts2[s, 0] == NO_TIME else BRK_GAP
            ts2[s, 1] = NO_TIME
        else:
            k = 1
            brk = BRK_JUMP
        o_sub[i] = k
        # derived columns against the previous fix of the chosen sub-track
        has_prev = brk == BRK_NONE or brk == BRK_ALTERNATE or brk == BRK_PROMOTED
        if brk == BRK_JUMP:
            # evidence of the jump: measured from the primary's last fix
            o_pts[i] = ts2[s, 0]
            o_plat[i] = lat2[s, 0]
            o_plon[i] = lon2[s, 0]
        elif has_prev:
            o_pts[i] = ts2[s, k]
            o_plat[i] = lat2[s, k]
            o_plon[i] = lon2[s, k]
        else:
            o_pts[i] = NO_TIME
            o_plat[i] = np.nan
            o_plon[i] = np.nan
        if o_pts[i] != NO_TIME:
            dt = (t - o_pts[i]) / 1000.0
            # the previous fix is the last of sub-track k (of the primary for a jump), already measured
            d = d_sub1 if k == 1 and brk != BRK_JUMP else d_sub0
            o_dt[i] = dt
            o_dist[i] = d
            o_imp[i] = d / dt / KNOT_MS if dt > 0 else np.nan
        else:
            dt = np.nan
            o_dt[i] = np.nan
            o_dist[i] = np.nan
            o_imp[i] = np.nan
        sg = sog_in[i]
        if np.isnan(sg) and has_prev and dt >= min_dt:
            sg = o_imp[i]
        cg = cog_in[i]
        if np.isnan(cg) and has_prev and o_dist[i] >= 10.0:
            cg = bearing_deg(o_plat[i], o_plon[i], lat[i], lon[i])
        o_sog[i] = sg
        o_cog[i] = cg
        pc = cog2[s, k]
        if has_prev and not np.isnan(cg) and not np.isnan(pc) and dt > 0:
            o_turn[i] = angle_diff_deg(pc, cg) / (dt / 60.0)
        else:
            o_turn[i] = np.nan
        hd = heading[i]
        o_div[i] = abs(angle_diff_deg(hd, cg)) if not (np.isnan(hd) or np.isnan(cg)) else np.nan
        # segments and EWMAs (primary only)
        if k == 0:
            if brk != BRK_NONE:
                seg[s] += 1
                fast[s] = sg
                base[s] = sg if sg >= underway else np.nan
                if not np.isnan(cg):
                    cx[s] = math.sin(math.radians(cg))
                    cy[s] = math.cos(math.radians(cg))
                else:
                    cx[s] = 0.0
                    cy[s] = 0.0
            else:
                edt = (t - ew_ts[s]) / 1000.0
                if not np.isnan(sg):
                    if np.isnan(fast[s]):
                        fast[s] = sg
                    else:
                        fast[s] += _alpha(edt, tau_f) * (sg - fast[s])
                    if sg >= underway:
                        if np.isnan(base[s]):
                            base[s] = sg
                        elif sg >= hold * base[s]:
                            base[s] += _alpha(edt, tau_b) * (sg - base[s])
                        else:  # a marked slowdown only slowly becomes the new "cruising" speed
                            base[s] += _alpha(edt, tau_b * slow) * (sg - base[s])
                if not np.isnan(cg):
                    a = _alpha(edt, tau_c)
                    cx[s] += a * (math.sin(math.radians(cg)) - cx[s])
                    cy[s] += a * (math.cos(math.radians(cg)) - cy[s])
            ew_ts[s] = t
        o_seg[i] = seg[s]
        o_brk[i] = brk
        o_fast[i] = fast[s]
        o_base[i] = base[s]
        o_course[i] = (math.degrees(math.atan2(cx[s], cy[s])) + 360.0) % 360.0 if (cx[s] != 0.0 or cy[s] != 0.0) else np.nan
        # remember this fix on its sub-track
        ts2[s, k] = t
        lat2[s, k] = lat[i]
        lon2[s, k] = lon[i]
        if not np.isnan(cg):
            cog2[s, k] = cg


@nb.njit(cache=True, nogil=True)
def _ring_kernel(slot, sub, ts, lat, lon, sog, cog, rts, rlat, rlon, rsog, rcog, head):
    K = rts.shape[1]
    for i in range(ts.shape[0]):
        if sub[i] != 0:
            continue
        s = slot[i]
        h = head[s]
        rts[s, h] = ts[i]
        rlat[s, h] = lat[i]
        rlon[s, h] = lon[i]
        rsog[s, h] = sog[i]
        rcog[s, h] = cog[i]
        head[s] = (h + 1) % K


class Tracker:
    """Stateful tracker: `advance(fixes)` turns time-ordered fixes into a TrackChunk."""

    def __init__(self, params: TrackParams | None = None) -> None:
        self.params = params or TrackParams()
        self._p = self.params.vector()
        self.vessels = VesselTable()
        self.state = SlotArrays(_STATE_SPEC)
        K = self.params.ring_size
        self.ring = SlotArrays({
            "ts": (np.int64, NO_TIME, (K,)), "lat": (np.float64, np.nan, (K,)), "lon": (np.float64, np.nan, (K,)),
            "sog": (np.float64, np.nan, (K,)), "cog": (np.float64, np.nan, (K,)), "head": (np.int64, 0, ()),
        })

    def advance(self, fixes: Fixes) -> TrackChunk:
        n = len(fixes)
        slot = self.vessels.slots(fixes.mmsi)
        self.state.ensure(len(self.vessels))
        self.ring.ensure(len(self.vessels))
        st = self.state.arrays
        out_i8 = [np.empty(n, np.int8) for _ in range(2)]
        o_seg = np.empty(n, np.int32)
        o_pts = np.empty(n, np.int64)
        f = [np.empty(n) for _ in range(12)]
        _track_kernel(slot, fixes.ts, fixes.lat, fixes.lon, fixes.sog, fixes.cog, fixes.heading, self._p,
                      st["ts2"], st["lat2"], st["lon2"], st["cog2"], st["seg"], st["fast"], st["base"], st["cx"],
                      st["cy"], st["ew_ts"], out_i8[0], o_seg, out_i8[1], o_pts, *f)
        return TrackChunk(fixes, slot, out_i8[0], o_seg, out_i8[1], o_pts, *f)

    def commit(self, chunk: TrackChunk) -> None:
        """Push the chunk's primary fixes into the evidence rings (after detectors read them)."""
        r = self.ring.arrays
        _ring_kernel(chunk.slot, chunk.sub, chunk.fixes.ts, chunk.fixes.lat, chunk.fixes.lon, chunk.sog, chunk.cog,
                     r["ts"], r["lat"], r["lon"], r["sog"], r["cog"], r["head"])

    def evidence_points(self, chunk: TrackChunk | None, slot: int, upto: int, start_ms: int, end_ms: int,
                        max_points: int = 32) -> list[tuple]:
        """Primary-track points (iso_ts, lat, lon, sog, cog) of vessel `slot` within [start_ms, end_ms].

        Read from the ring (fixes before this chunk) plus the chunk's rows before `upto`, i.e. what
        the stream had delivered when the event was emitted -- the same however it was split.
        """
        return self.evidence_tracks(chunk, np.array([slot]), np.array([upto]), np.array([start_ms]),
                                    np.array([end_ms]), max_points)[0]

    def evidence_tracks(self, chunk: TrackChunk | None, slots: np.ndarray, uptos: np.ndarray, start_ms: np.ndarray,
                        end_ms: np.ndarray, max_points: int = 32) -> list[list[tuple]]:
        """`evidence_points` for many events at once: one compiled gather, one formatting pass."""
        k = len(slots)
        if k == 0:
            return []
        r = self.ring.arrays
        K = r["ts"].shape[1]
        if chunk is not None:
            fx = chunk.fixes
            cols = (chunk.slot, chunk.sub, fx.ts, fx.lat, fx.lon, chunk.sog, chunk.cog)
            uptos = np.asarray(uptos, np.int64)
        else:
            cols = (np.empty(0, np.int32), np.empty(0, np.int8), np.empty(0, np.int64), *(np.empty(0),) * 4)
            uptos = np.zeros(k, np.int64)
        off, ts, lat, lon, sog, cog = _gather_evidence(
            np.asarray(slots, np.int64), uptos, np.asarray(start_ms, np.int64), np.asarray(end_ms, np.int64), *cols,
            r["ts"], r["lat"], r["lon"], r["sog"], r["cog"], r["head"], _thinning(2 * K, max_points))
        iso = [t + "Z" for t in np.datetime_as_string(ts.astype("datetime64[ms]"), unit="ms").tolist()]
        cols = [iso]
        for c, nd in zip((lat, lon, sog, cog), (6, 6, 2, 1)):
            rounded = np.round(c, nd)
            col = rounded.tolist()
            for j in np.flatnonzero(~np.isfinite(rounded)).tolist():
                col[j] = None
            cols.append(col)
        rows = list(zip(*cols))  # tuples of atomics leave the cyclic GC's lists at once (lists: ~5 % of all CPU)
        return [rows[off[j]:off[j + 1]] for j in range(k)]


_THINNING: dict[tuple[int, int], np.ndarray] = {}


def _thinning(max_kept: int, max_points: int) -> np.ndarray:
    """Row j: the indices kept when j points must be thinned to max_points (evenly, ends kept)."""
    key = (max_kept, max_points)
    table = _THINNING.get(key)
    if table is None:
        table = np.full((max_kept + 1, max(max_points, 1)), -1, np.int64)
        for j in range(max_points + 1, max_kept + 1):
            table[j, :max_points] = np.linspace(0, j - 1, max_points).round().astype(int)
        _THINNING[key] = table
    return table


@nb.njit(cache=True, nogil=True)
def _gather_evidence(ev_slot, ev_upto, ev_t0, ev_t1, slot, sub, ts, lat, lon, sog, cog,
                     rts, rlat, rlon, rsog, rcog, rhead, thin):
    """Per event: the vessel's ring (oldest first) then its primary chunk rows before `upto` (the
    last K), the last K timed of those, those within [t0, t1], thinned to thin's width."""
    k = ev_slot.size
    K = rts.shape[1]
    max_points = thin.shape[1]
    # the last primary row of the event's vessel before `upto`, by one sweep over the chunk
    order = np.argsort(ev_upto, kind="mergesort")
    n_slots = rts.shape[0]
    last = np.full(n_slots, -1, np.int64)
    prev = np.full(ts.size, -1, np.int64)
    start_row = np.full(k, -1, np.int64)
    i = 0
    for q in range(k):
        e = order[q]
        while i < ev_upto[e] and i < ts.size:
            if sub[i] == 0:
                prev[i] = last[slot[i]]
                last[slot[i]] = i
            i += 1
        start_row[e] = last[ev_slot[e]]
    off = np.zeros(k + 1, np.int64)
    cap = k * max_points
    o_ts = np.empty(cap, np.int64)
    o_f = np.empty((4, cap))
    cand = np.empty(2 * K, np.int64)  # >= 0: ring position; < 0: -(chunk row) - 1
    cts = np.empty(2 * K, np.int64)
    m = 0
    for e in range(k):
        s = ev_slot[e]
        c = 0
        h = rhead[s]
        for j in range(K):
            p = (h + j) % K
            cand[c] = p
            cts[c] = rts[s, p]
            c += 1
        rows = np.empty(K, np.int64)
        nr = 0
        r = start_row[e]
        while r >= 0 and nr < K:
            rows[nr] = r
            nr += 1
            r = prev[r]
        for j in range(nr - 1, -1, -1):
            cand[c] = -rows[j] - 1
            cts[c] = ts[rows[j]]
            c += 1
        # the last K timed candidates, then the time window
        timed = 0
        first = c
        while first > 0 and timed < K:
            first -= 1
            if cts[first] != NO_TIME:
                timed += 1
        sel = np.empty(c - first, np.int64)
        ns = 0
        for j in range(first, c):
            if cts[j] != NO_TIME and ev_t0[e] <= cts[j] <= ev_t1[e]:
                sel[ns] = j
                ns += 1
        take = ns if ns <= max_points else max_points
        for q in range(take):
            j = sel[q] if ns <= max_points else sel[thin[ns, q]]
            o_ts[m] = cts[j]
            if cand[j] >= 0:
                p = cand[j]
                o_f[0, m] = rlat[s, p]
                o_f[1, m] = rlon[s, p]
                o_f[2, m] = rsog[s, p]
                o_f[3, m] = rcog[s, p]
            else:
                row = -cand[j] - 1
                o_f[0, m] = lat[row]
                o_f[1, m] = lon[row]
                o_f[2, m] = sog[row]
                o_f[3, m] = cog[row]
            m += 1
        off[e + 1] = m
    return off, o_ts[:m], o_f[0, :m], o_f[1, :m], o_f[2, :m], o_f[3, :m]
