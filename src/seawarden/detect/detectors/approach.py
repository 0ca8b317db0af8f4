"""approach: an early warning that a ship which may harm the asset is about to reach its corridor.

Dead reckoning (great circle, current course and speed) predicts corridor entry within
`horizon_min` for a ship holding a steady course at speed. A prediction alone is no warning:
every ship on a lane across a cable, every ferry on its route, predicts an entry (112 of the
eval suite's 113 warnings were false, 7.3 per 1,000 vessel-hours). Anchors foul cables
when a ship stops, anchors or drags over them (ICPC; [EAGLE] slowed from cruise before the
drag), so the prediction becomes an event only with a cue that this transit is not routine:

* slowing -- the smoothed speed is below `slowing_ratio` x the highest it was within
  `slowing_window_s` since it got under way (it is coming off cruise while heading for the corridor:
  it may stop on it; a ship accelerating away from a berth is not slowing), or
* diverted -- the course it holds began with a turn of >= `divert_deg` from the course it held
  before, without stopping in between (it left its route and steers for the asset; [AA]'s course
  analysis flags courses unusual for the place, this is the vessel-local version that needs no
  learned traffic statistics). A bend followed while holding course (smoothed course within
  `steady_course_deg` of COG) advances the leg in small steps and is no diversion.

Predictions through land are dropped: a ship cannot reach the corridor across a peninsula (the NY
ferries' curved routes dead-reckoned over the Rockaways). The land test uses the 1 km GLOBE mask
(extra "context") and skips `land_margin_m` at both ends (a start in a harbour basin or a landing
at the shore is not a blocked path). Once per vessel and asset per `cooldown_s`.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from seawarden.detect.base import ST_CLOSED, Detector, RawEvents, clamp_severity, crossed
from seawarden.detect.detectors.context import cell_is_land, land_frame_or_none
from seawarden.track.geo import KNOT_MS, angle_diff_deg, destination, haversine_m
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import BRK_NONE, TrackChunk

HISTORY = 32  # speed samples kept per vessel (cover slowing_window_s at window / (HISTORY - 2) spacing)
SAMPLE_STEP_M = 250.0  # land test spacing along a predicted path (the mask's cells are ~1 km)

# kernel parameter columns (PARAMS order)
_HORIZON, _MIN_SOG, _EVERY, _COOLDOWN, _STEADY, _SLOWING, _SLOW_S, _DIVERT_DEG, _LAND_MARGIN = range(9)


@nb.njit(cache=True, nogil=True)
def _follow_legs(P, slot, brk, prof, ts, course, cog, sog_fast, leg_course, leg_turn, h_ts, h_sog, h_next, h_last, i):
    """Per vessel since it last got under way (a new segment or a stop -- smoothed speed below min_sog --
    forgets everything: a ferry leaving its berth on the reverse of its arrival course has turned to nothing):
    the course of the leg it holds and the turn that began that leg, and a sparse speed history."""
    s = slot[i]
    p = P[prof[i]]
    if brk[i] != BRK_NONE or np.isnan(sog_fast[i]) or sog_fast[i] < p[_MIN_SOG]:
        leg_course[s] = np.nan
        leg_turn[s] = 0.0
        h_ts[s, :] = NO_TIME
        h_last[s] = NO_TIME
        return
    if np.isnan(course[i]) or np.isnan(cog[i]) or abs(angle_diff_deg(course[i], cog[i])) > p[_STEADY]:
        return  # only held courses: the smoothed course lags a turn and is noise after a stop
    if np.isnan(leg_course[s]):
        leg_course[s] = course[i]
    else:
        d = abs(angle_diff_deg(leg_course[s], course[i]))
        if d > p[_STEADY]:  # a new leg; a bend followed while holding course moves on in small steps
            leg_turn[s] = d
            leg_course[s] = course[i]
    step = p[_SLOW_S] * 1000 / (HISTORY - 2)
    if h_last[s] != NO_TIME and ts[i] - h_last[s] < step:
        return
    k = h_next[s]
    h_ts[s, k] = ts[i]
    h_sog[s, k] = sog_fast[i]
    h_next[s] = (k + 1) % HISTORY
    h_last[s] = ts[i]


@nb.njit(cache=True, nogil=True)
def _recent_peak(s, now, window_ms, h_ts, h_sog):
    """Highest smoothed speed remembered within the window (NaN if none)."""
    peak = np.nan
    for k in range(HISTORY):
        t = h_ts[s, k]
        if t != NO_TIME and now - t <= window_ms and (np.isnan(peak) or h_sog[s, k] > peak):
            peak = h_sog[s, k]
    return peak


@nb.njit(cache=True, nogil=True)
def _candidates(P, slot, sub, brk, prof, ts, lat, lon, sog, cog, course, sog_fast, in_corr, last_eval, leg_course,
                leg_turn, h_ts, h_sog, h_next, h_last, max_corr_m, out_lat, out_lon, out_turn, out_peak):
    n = ts.shape[0]
    keep = np.zeros(n, np.bool_)
    for i in range(n):
        if sub[i] != 0:
            continue
        _follow_legs(P, slot, brk, prof, ts, course, cog, sog_fast, leg_course, leg_turn, h_ts, h_sog, h_next, h_last, i)
        if brk[i] != BRK_NONE or in_corr[i] or np.isnan(sog[i]) or np.isnan(cog[i]):
            continue
        p = P[prof[i]]
        horizon, min_sog, every = p[_HORIZON] * 60.0, p[_MIN_SOG], p[_EVERY] * 1000
        if sog[i] < min_sog or np.isnan(sog_fast[i]) or sog_fast[i] < min_sog:
            continue
        # dead reckoning is only a prediction for a ship holding its course: the 10-min smoothed course
        # must agree with the current one (manoeuvring in a harbour or a fairway bend predicts nothing)
        if np.isnan(course[i]) or abs(angle_diff_deg(course[i], cog[i])) > p[_STEADY]:
            continue
        s = slot[i]
        if last_eval[s] != NO_TIME and ts[i] - last_eval[s] < every:
            continue
        peak = _recent_peak(s, ts[i], p[_SLOW_S] * 1000, h_ts, h_sog)
        slowing = not np.isnan(peak) and sog_fast[i] <= p[_SLOWING] * peak
        turn = leg_turn[s]
        if not slowing and turn < p[_DIVERT_DEG]:
            continue
        last_eval[s] = ts[i]
        keep[i] = True
        la, lo = destination(lat[i], lon[i], cog[i], sog[i] * KNOT_MS * horizon + max_corr_m)
        out_lat[i] = la
        out_lon[i] = lo
        out_turn[i] = turn
        out_peak[i] = peak
    return keep


def path_blocked(on_land: Any, lat0: float, lon0: float, lat1: float, lon1: float, margin_m: float) -> bool:
    """True if the straight path between the two points crosses land, `margin_m` from either end excluded
    (the one-path reference of `paths_blocked`, for callers holding an on_land(lon, lat) function)."""
    length = haversine_m(lat0, lon0, lat1, lon1)
    if length <= 2 * margin_m:
        return False
    f = np.arange(margin_m, length - margin_m + 1e-9, SAMPLE_STEP_M) / length
    lat = lat0 + f * (lat1 - lat0)
    lon = lon0 + f * ((lon1 - lon0 + 180.0) % 360.0 - 180.0)
    return bool(on_land(lon, lat).any())


@nb.njit(cache=True, nogil=True)
def paths_blocked(lat0, lon0, lat1, lon1, margin_m, ocean, mlat0, dlat, lat_min, lat_max, mlon0, dlon, lon_min,
                  lon_max):
    """path_blocked for every path in one compiled pass over all their sample points: the same points
    (np.arange's start + k * step), the same arithmetic and the same land lookup (stops at the first land)."""
    out = np.zeros(lat0.size, np.bool_)
    for j in range(lat0.size):
        length = haversine_m(lat0[j], lon0[j], lat1[j], lon1[j])
        m = margin_m[j]
        if length <= 2 * m:
            continue
        stop = length - m + 1e-9
        n = int(np.ceil((stop - m) / SAMPLE_STEP_M))
        delta = (m + SAMPLE_STEP_M) - m  # what np.arange steps by
        dla = lat1[j] - lat0[j]
        dlo = (lon1[j] - lon0[j] + 180.0) % 360.0 - 180.0
        for k in range(n):
            f = (m + k * delta) / length
            y = lat0[j] + f * dla
            x = ((lon0[j] + f * dlo) + 180.0) % 360.0 - 180.0
            if not np.isfinite(y) or not np.isfinite(x) or abs(y) > 90.0:
                continue
            if cell_is_land(y, x, ocean, mlat0, dlat, lat_min, lat_max, mlon0, dlon, lon_min, lon_max):
                out[j] = True
                break
    return out


class Approach(Detector):
    name = "approach"
    PARAMS = ("horizon_min", "min_sog_kn", "eval_every_s", "cooldown_s", "steady_course_deg", "slowing_ratio",
              "slowing_window_s", "divert_deg", "land_margin_m")
    VALUES = ("eta_corridor_min", "eta_line_min", "sog_kn", "cog_deg", "distance_to_line_m", "km_point", "angle_deg",
              "recent_peak_kn", "sog_fast_kn", "course_change_deg")
    STATE = {"last_eval": (np.int64, NO_TIME, ()), "leg_course": (np.float64, np.nan, ()),
             "leg_turn": (np.float64, 0.0, ()), "h_ts": (np.int64, NO_TIME, (HISTORY,)),
             "h_sog": (np.float64, np.nan, (HISTORY,)), "h_next": (np.int64, 0, ()), "h_last": (np.int64, NO_TIME, ())}

    def __init__(self, config, engine) -> None:
        super().__init__(config, engine)
        self.last_emit: dict[tuple[int, int], int] = {}
        self._land = land_frame_or_none(self.engine.stats, self.name) if self.profiles[0].get("sea_path_check", True) else None

    def process(self, chunk: TrackChunk) -> RawEvents:
        index = self.engine.spatial.index
        if index is None or not len(chunk):
            return RawEvents.empty(len(self.VALUES))
        fx = chunk.fixes
        st = self.state.arrays
        corr_m = np.asarray(index.assets.corridor_m, dtype=np.float64)
        max_corr = float(corr_m.max()) if corr_m.size else 0.0
        la2 = np.full(len(fx), np.nan)
        lo2 = np.full(len(fx), np.nan)
        turn = np.full(len(fx), np.nan)
        peak = np.full(len(fx), np.nan)
        keep = _candidates(self.P, chunk.slot, chunk.sub, chunk.brk, chunk.profile, fx.ts, fx.lat, fx.lon, chunk.sog,
                           chunk.cog, chunk.course, chunk.sog_fast, chunk.in_corridor, st["last_eval"], st["leg_course"],
                           st["leg_turn"], st["h_ts"], st["h_sog"], st["h_next"], st["h_last"], max_corr, la2, lo2, turn,
                           peak)
        rows = np.flatnonzero(keep)
        if not rows.size:
            return RawEvents.empty(len(self.VALUES))
        r = index.crossings(fx.lon[rows], fx.lat[rows], lo2[rows], la2[rows])
        if not len(r):
            return RawEvents.empty(len(self.VALUES))
        pending = self._entries_within_horizon(chunk, rows, r, corr_m, max_corr)
        blocked = self._blocked(chunk, r, pending)
        ei_rows, ef_rows = [], []
        for (k, i, a, eta_corr, d_line, speed), through_land in zip(pending, blocked.tolist()):
            s = int(chunk.slot[i])
            t = int(fx.ts[i])
            last = self.last_emit.get((s, a))
            if last is not None and t - last < self.P[chunk.profile[i]][_COOLDOWN] * 1000:
                continue
            if through_land:
                self.engine.stats["approach_through_land"] += 1
                continue
            self.last_emit[(s, a)] = t
            eta_ms = int(round(eta_corr * 60_000))
            ei_rows.append([i + 1, s, ST_CLOSED, t, t + eta_ms, t, a, -1, int(chunk.profile[i]), 0])
            ef_rows.append([fx.lat[i], fx.lon[i], eta_corr, d_line / speed / 60.0, chunk.sog[i], chunk.cog[i], d_line,
                            float(r.km_point[k]), float(r.angle_deg[k]), peak[i], chunk.sog_fast[i], turn[i]])
        if not ei_rows:
            return RawEvents.empty(len(self.VALUES))
        return RawEvents(np.array(ei_rows, np.int64), np.array(ef_rows, np.float64), len(ei_rows))

    def _entries_within_horizon(self, chunk: TrackChunk, rows: np.ndarray, r: Any, corr_m: np.ndarray,
                                max_corr: float) -> list[tuple[int, int, int, float, float, float]]:
        """(crossing k, fix i, asset a, minutes to the corridor, metres to the line, speed m/s) of the first
        crossing of each asset per fix (crossings are sorted by pair then frac) that enters the corridor
        within the horizon."""
        out = []
        seen_pair: set[tuple[int, int]] = set()
        pair_idx = np.asarray(r.pair_idx)
        for k in range(len(r)):
            pr = int(pair_idx[k])
            i = int(rows[pr])
            a = int(r.asset_idx[k])
            if (pr, a) in seen_pair:
                continue
            seen_pair.add((pr, a))
            p = self.P[chunk.profile[i]]
            speed = chunk.sog[i] * KNOT_MS
            d_line = float(r.frac[k]) * (speed * (p[_HORIZON] * 60.0) + max_corr)
            ang = max(float(r.angle_deg[k]), 5.0)
            eta_corr = max(0.0, d_line - corr_m[a] / np.sin(np.radians(ang))) / speed / 60.0
            if eta_corr <= p[_HORIZON]:
                out.append((k, i, a, eta_corr, d_line, speed))
        return out

    def _blocked(self, chunk: TrackChunk, r: Any, pending: list[tuple[int, int, int, float, float, float]]
                 ) -> np.ndarray:
        """Which pending predicted paths cross land, judged in one compiled pass over every one that can still
        emit (not held back by a cooldown that began before this chunk)."""
        blocked = np.zeros(len(pending), bool)
        if self._land is None or not pending:
            return blocked
        fx = chunk.fixes
        ask, ks, idx = [], [], []
        for j, (k, i, a, *_) in enumerate(pending):
            last = self.last_emit.get((int(chunk.slot[i]), a))
            if last is None or int(fx.ts[i]) - last >= self.P[chunk.profile[i]][_COOLDOWN] * 1000:
                ask.append(j)
                ks.append(k)
                idx.append(i)
        if ask:
            k, i = np.asarray(ks), np.asarray(idx)
            blocked[ask] = paths_blocked(fx.lat[i], fx.lon[i], np.asarray(r.lat, np.float64)[k],
                                         np.asarray(r.lon, np.float64)[k], self.P[chunk.profile[i], _LAND_MARGIN],
                                         *self._land)
        return blocked

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        ev["eta_corridor_min"] = crossed(v["eta_corridor_min"], params["horizon_min"])
        ev["sog_kn"] = crossed(v["sog_kn"], params["min_sog_kn"])
        cruise, fast = v["recent_peak_kn"], v["sog_fast_kn"]
        ratio = fast / cruise if np.isfinite(cruise) and cruise > 0 else float("nan")
        ev["slowing_ratio"] = crossed(ratio, params["slowing_ratio"])
        ev["course_change_deg"] = crossed(v["course_change_deg"], params["divert_deg"])
        ev["cues"] = [c for c, on in (("slowing", np.isfinite(ratio) and ratio <= params["slowing_ratio"]),
                                      ("diverted", v["course_change_deg"] >= params["divert_deg"])) if on]
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        return clamp_severity(1 + (1 if crit >= 4 else 0))
