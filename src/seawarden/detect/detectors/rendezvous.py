"""rendezvous: two vessels close together and slow for long, away from anchorages and ports
(GFW encounter definition; Skylight's shorter "standard rendezvous" thresholds). Every `tick_s` of stream time the fresh, slow vessels are hashed
into a grid of cells at least `max_distance_m` wide, so only neighbouring cells are compared:
O(n) per scan, not O(n^2)."""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np
import shapely

from seawarden.detect.base import Detector, RawEvents, clamp_severity, crossed, emit
from seawarden.detect.detectors.context import land_mask_or_none, port_index_or_none
from seawarden.track.geo import haversine_m
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import TrackChunk

# pair record layout (float64 array per pair)
P_START, P_LAST, P_EMIT, P_N, P_SUMD, P_MIND, P_LAT, P_LON, P_MISSED, P_CORR, P_ASSET, P_PROF = range(12)


@nb.njit(cache=True, nogil=True)
def _scan(now, P, mmsi, v_last, v_lat, v_lon, v_sog, v_ok, v_corr, v_asset, v_prof, nslots, pairs, ei, ef, n, upto):
    p0 = P[0]
    max_d, max_sog, max_age, max_group = p0[0], p0[2], p0[4] * 1000, p0[6]
    cand = np.empty(nslots, np.int64)
    m = 0
    maxlat = 0.0
    for s in range(nslots):
        if v_last[s] != NO_TIME and now - v_last[s] <= max_age and v_ok[s] and v_sog[s] <= max_sog:
            cand[m] = s
            m += 1
            if abs(v_lat[s]) > maxlat:
                maxlat = abs(v_lat[s])
    cand = cand[:m]
    seen = np.zeros(0, np.int64)
    if m >= 2:
        clat = max_d / 111_000.0
        clon = clat / max(math.cos(math.radians(min(maxlat, 85.0))), 0.05)
        kr = np.empty(m, np.int64)
        kc = np.empty(m, np.int64)
        key = np.empty(m, np.int64)
        for j in range(m):
            s = cand[j]
            kr[j] = int(math.floor(v_lat[s] / clat))
            kc[j] = int(math.floor(v_lon[s] / clon))
            key[j] = kr[j] * 4_000_000 + kc[j]
        order = np.argsort(key)
        skey = key[order]
        # every close pair (a < b) once, and how many slow neighbours each vessel has within max_d. A vessel
        # among max_group or more of them is in a raft of moored boats, at a berth or in an anchorage (GFW
        # finds anchorages as places where many vessels stop), not in a two-ship meeting: its pairs are skipped
        near = np.zeros(nslots, np.int64)
        pa_, pb_, pd_ = [], [], []
        for j in range(m):
            a = cand[j]
            for dr in range(-1, 2):
                for dc in range(-1, 2):
                    k = (kr[j] + dr) * 4_000_000 + (kc[j] + dc)
                    lo = np.searchsorted(skey, k)
                    hi = np.searchsorted(skey, k, side="right")
                    for q in range(lo, hi):
                        b = cand[order[q]]
                        if b <= a:
                            continue
                        d = haversine_m(v_lat[a], v_lon[a], v_lat[b], v_lon[b])
                        if d <= max_d:
                            pa_.append(a)
                            pb_.append(b)
                            pd_.append(d)
                            near[a] += 1
                            near[b] += 1
        found = []
        for i in range(len(pa_)):
            a, b, d = pa_[i], pb_[i], pd_[i]
            if near[a] >= max_group or near[b] >= max_group:
                continue
            pk = a * 4_294_967_296 + b
            found.append(pk)
            if pk in pairs:
                r = pairs[pk]
            else:
                r = np.zeros(12)
                r[P_START] = now
                r[P_MIND] = 1e300
                r[P_ASSET] = -1
                pairs[pk] = r
            r[P_LAST] = now
            r[P_N] += 1
            r[P_SUMD] += d
            r[P_MIND] = min(r[P_MIND], d)
            r[P_LAT] = 0.5 * (v_lat[a] + v_lat[b])
            r[P_LON] = 0.5 * (v_lon[a] + v_lon[b])
            r[P_MISSED] = 0
            if v_corr[a] or v_corr[b]:
                r[P_CORR] = 1.0
                r[P_ASSET] = v_asset[a] if v_asset[a] >= 0 else v_asset[b]
            r[P_PROF] = v_prof[a]
        seen = np.empty(len(found), np.int64)
        for j in range(len(found)):
            seen[j] = found[j]
        seen = np.sort(seen)
    # age, emit and close pairs
    done = []
    for pk, r in pairs.items():
        a = pk // 4_294_967_296
        b = pk % 4_294_967_296
        lo = np.searchsorted(seen, pk)
        hit = lo < seen.shape[0] and seen[lo] == pk
        q = P[int(r[P_PROF])]
        min_dur, max_missed = q[1] * 1000, q[5]
        first, second = (a, b) if mmsi[a] <= mmsi[b] else (b, a)
        if hit:
            if r[P_EMIT] == 0.0 and r[P_LAST] - r[P_START] >= min_dur:
                r[P_EMIT] = 1.0
                ei, ef, n = emit(ei, ef, n, upto, first, 0, np.int64(r[P_START]), NO_TIME, now, np.int64(r[P_ASSET]),
                                 second, np.int64(r[P_PROF]), 0, r[P_LAT], r[P_LON])
                ef[n - 1, 2] = r[P_LAST] / 1000.0 - r[P_START] / 1000.0
                ef[n - 1, 3] = r[P_MIND]
                ef[n - 1, 4] = r[P_SUMD] / r[P_N]
                ef[n - 1, 5] = r[P_N]
                ef[n - 1, 6] = r[P_CORR]
        else:
            r[P_MISSED] += 1
            if r[P_MISSED] > max_missed:
                if r[P_EMIT] != 0.0:
                    ei, ef, n = emit(ei, ef, n, upto, first, 1, np.int64(r[P_START]), np.int64(r[P_LAST]), now,
                                     np.int64(r[P_ASSET]), second, np.int64(r[P_PROF]), 0, r[P_LAT], r[P_LON])
                    ef[n - 1, 2] = r[P_LAST] / 1000.0 - r[P_START] / 1000.0
                    ef[n - 1, 3] = r[P_MIND]
                    ef[n - 1, 4] = r[P_SUMD] / r[P_N]
                    ef[n - 1, 5] = r[P_N]
                    ef[n - 1, 6] = r[P_CORR]
                done.append(pk)
    for pk in done:
        pairs.pop(pk)
    return ei, ef, n


@nb.njit(cache=True, nogil=True)
def _read_by_a_scan(tick_ms, tick0, slot, sub, ts, nslots):
    """Fixes whose state a pair scan can read: _kernel keeps only a vessel's latest fix, and a fix
    overwritten by the vessel's next one before any scan ran is never looked at. The scans are
    counted exactly as _kernel fires them (a tick beyond the highest seen); the last fix of each
    vessel in the chunk is kept for the scans of later chunks."""
    n = ts.shape[0]
    scans = np.empty(n, np.int64)
    tick = tick0
    c = 0
    for i in range(n):
        tk = ts[i] // tick_ms
        if tk > tick:
            if tick != NO_TIME:
                c += 1
            tick = tk
        scans[i] = c
    nxt = np.full(nslots, -1, np.int64)  # scans counted at the vessel's next fix (-1: none in the chunk)
    out = np.zeros(n, np.bool_)
    for i in range(n - 1, -1, -1):
        if sub[i] != 0:
            continue
        s = slot[i]
        out[i] = nxt[s] < 0 or nxt[s] > scans[i]
        nxt[s] = scans[i]
    return out


@nb.njit(cache=True, nogil=True)
def _kernel(P, tick_ms, mmsi, slot, sub, prof, ts, lat, lon, sogf, away, in_corr, asset, nslots,
            v_last, v_lat, v_lon, v_sog, v_ok, v_corr, v_asset, v_prof, pairs, tick, ei, ef):
    n = 0
    for i in range(ts.shape[0]):
        tk = ts[i] // tick_ms
        if tk > tick[0]:
            if tick[0] != NO_TIME:
                ei, ef, n = _scan(tk * tick_ms, P, mmsi, v_last, v_lat, v_lon, v_sog, v_ok, v_corr, v_asset, v_prof,
                                  nslots, pairs, ei, ef, n, i)
            tick[0] = tk
        if sub[i] != 0:
            continue
        s = slot[i]
        v_last[s] = ts[i]
        v_lat[s] = lat[i]
        v_lon[s] = lon[i]
        v_sog[s] = sogf[i] if not np.isnan(sogf[i]) else 1e9
        v_ok[s] = away[i]
        v_corr[s] = in_corr[i]
        v_asset[s] = asset[i]
        v_prof[s] = prof[i]
    return ei, ef, n


class Rendezvous(Detector):
    name = "rendezvous"
    PARAMS = ("max_distance_m", "min_duration_s", "max_sog_kn", "min_anchorage_distance_m", "max_fix_age_s",
              "max_missed_ticks", "max_group_size")
    VALUES = ("duration_s", "min_distance_m", "mean_distance_m", "observations", "in_corridor")
    STATE = {"last": (np.int64, NO_TIME, ()), "lat": (np.float64, np.nan, ()), "lon": (np.float64, np.nan, ()),
             "sog": (np.float64, np.inf, ()), "ok": (np.bool_, False, ()), "corr": (np.bool_, False, ()),
             "asset": (np.int32, -1, ()), "prof": (np.int16, 0, ())}

    def __init__(self, config, engine) -> None:
        super().__init__(config, engine)
        p0 = self.profiles[0]
        self.tick_ms = int(float(p0["tick_s"]) * 1000)
        self.pairs = nb.typed.Dict.empty(key_type=nb.types.int64, value_type=nb.types.float64[:])
        self.tick = np.array([NO_TIME], np.int64)
        # anchorages buffered by the GFW 10 km exclusion
        geoms = [g for _, g in config.anchorages]
        self._excl = None
        if geoms:
            u = shapely.union_all(geoms)
            lat_mid = (u.bounds[1] + u.bounds[3]) / 2
            k = max(math.cos(math.radians(lat_mid)), 0.05)
            d = float(p0["min_anchorage_distance_m"]) / 111_320.0
            u = shapely.affinity.scale(shapely.affinity.scale(u, xfact=k, origin=(0, 0)).buffer(d), xfact=1 / k,
                                       origin=(0, 0))
            shapely.prepare(u)
            self._excl = u
        # World Port Index ports as GFW's anchorage list: in a harbour, tugs with their barges, ferries at terminals
        # and pilot boats lie side by side for hours (measured: all 50 pair events of the untouched NY harbour week
        # were within 4 km of a WPI port and 800 m of the shore)
        self._ports = port_index_or_none(self.engine.stats, self.name) if p0.get("port_context", True) else None
        # the 1 km GLOBE mask calls marinas, harbour basins, canals and rivers land: two boats moored side by side
        # there are no encounter (measured: the only pair of the untouched NY week after the port rule was two craft
        # 6 m apart at 0.03 kn in a Jamaica Bay marina, 16 km from the nearest WPI port)
        self._inland = land_mask_or_none(self.engine.stats, self.name) if p0.get("inland_water_check", True) else None

    def process(self, chunk: TrackChunk) -> RawEvents:
        st = self.state.arrays
        fx = chunk.fixes
        away = ~chunk.in_anchorage
        # the context layers (the nearest WPI port above all) are looked up only for slow fixes a scan will read
        read = _read_by_a_scan(self.tick_ms, self.tick[0], chunk.slot, chunk.sub, fx.ts, len(self.engine.tracker.vessels))
        slow = np.flatnonzero(read & (chunk.sog_fast <= float(self.profiles[0]["max_sog_kn"])))
        if slow.size and (self._excl is not None or self._ports is not None or self._inland is not None):
            away = away.copy()
            if self._excl is not None:
                away[slow] &= ~shapely.contains_xy(self._excl, fx.lon[slow], fx.lat[slow])
            if self._ports is not None:
                reach = float(self.profiles[0]["min_anchorage_distance_m"])
                away[slow] &= self._ports.nearest(fx.lon[slow], fx.lat[slow], reach).port_idx < 0
            if self._inland is not None:
                away[slow] &= ~self._inland(fx.lon[slow], fx.lat[slow])
        mmsi = self.engine.tracker.vessels.mmsi_array()
        ei, ef = self.buffers()
        ei, ef, n = _kernel(self.P, self.tick_ms, mmsi, chunk.slot, chunk.sub, chunk.profile, fx.ts, fx.lat, fx.lon,
                            chunk.sog_fast, away, chunk.in_corridor, chunk.asset, len(mmsi), st["last"], st["lat"],
                            st["lon"], st["sog"], st["ok"], st["corr"], st["asset"], st["prof"], self.pairs, self.tick,
                            ei, ef)
        return RawEvents(ei, ef, n)

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        ev["duration_s"] = crossed(v["duration_s"], params["min_duration_s"])
        ev["min_distance_m"] = crossed(v["min_distance_m"], params["max_distance_m"])
        ev["max_sog_kn"] = params["max_sog_kn"]
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        return clamp_severity(3 + (1 if in_corr else 0) + (1 if in_corr and crit >= 4 else 0))
