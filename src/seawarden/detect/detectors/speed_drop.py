"""speed_drop: a ship under way stops suddenly in open water (DMA AisAbnormal's SuddenSpeedChange
rule, adapted to archives and harbours).

[AA] raises "sudden speed change" when SOG falls from above 7 kn to below 1 kn in less than 30 s and
stays below 1 kn for 60 s (an indicator of grounding). Here:

* from cruise -- the last fix >= `high_kn` must come while the vessel's cruising baseline (45-min
  EWMA of its under-way speeds) is >= `high_kn` too: one noisy fix at 7 kn in a harbour
  manoeuvre is no cruise;
* within `within_s` = 180 s, not 30 s -- archives report every ~60-70 s (NOAA MarineCadastre,
  thinned terrestrial feeds), so a 30-s window sees a drop only when two reports happen to
  straddle it; 7 kn to < 1 kn in 3 min is still at or beyond a merchant ship's crash stop (IMO
  MSC.137(76): track reach up to 15 ship lengths, i.e. minutes);
* away from ports -- ferries, hovercraft and harbour craft stop like this at every berth (all four
  events of the eval suite's untouched traffic: two NY ferries at Manhattan terminals, Solent
  hovercraft at Ryde and Southsea). A stop within `min_port_distance_m` of a World Port Index
  port (GFW's 10 km anchorage exclusion, the rendezvous rule), inside a configured anchorage or in
  water the 1 km land mask calls land (terminals in basins, marinas, rivers: the SeaStreak ferries'
  Rockaway landing, 16 km from the nearest WPI port, gave 59 events in the NY week) is counted in
  the engine stats, not reported. Needs the extra "context" (tracktable-data, global-land-mask);
  without it the rule is off and counted.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from seawarden.detect.base import Detector, RawEvents, clamp_severity, crossed, emit
from seawarden.detect.detectors.context import land_mask_or_none, port_index_or_none
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import BRK_NONE, TrackChunk


@nb.njit(cache=True, nogil=True)
def _kernel(P, slot, sub, brk, prof, ts, lat, lon, sog, sog_base, in_corr, asset, hi_ts, hi_sog, lo_ts, lo_start,
            lo_max, ei, ef):
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
        if v >= high and sog_base[i] >= high:
            hi_ts[s] = ts[i]
            hi_sog[s] = v
            lo_ts[s] = NO_TIME
        elif v >= high:
            hi_ts[s] = NO_TIME  # fast, but not from cruise (accelerating out of a berth, a noisy fix)
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
    PARAMS = ("high_kn", "low_kn", "within_s", "sustain_s", "min_port_distance_m")
    VALUES = ("from_kn", "to_kn", "drop_kn", "decay_s", "sustained_s", "in_corridor")
    STATE = {"hi_ts": (np.int64, NO_TIME, ()), "hi_sog": (np.float64, np.nan, ()), "lo_ts": (np.int64, NO_TIME, ()),
             "lo_start": (np.int64, NO_TIME, ()), "lo_max": (np.float64, np.nan, ())}

    def __init__(self, config, engine) -> None:
        super().__init__(config, engine)
        p0 = self.profiles[0]
        self._ports = port_index_or_none(self.engine.stats, self.name) if p0.get("port_context", True) else None
        self._inland = land_mask_or_none(self.engine.stats, self.name) if p0.get("inland_water_check", True) else None

    def process(self, chunk: TrackChunk) -> RawEvents:
        st = self.state.arrays
        fx = chunk.fixes
        ei, ef = self.buffers()
        ei, ef, n = _kernel(self.P, chunk.slot, chunk.sub, chunk.brk, chunk.profile, fx.ts, fx.lat, fx.lon, chunk.sog,
                            chunk.sog_base, chunk.in_corridor, chunk.asset, st["hi_ts"], st["hi_sog"], st["lo_ts"],
                            st["lo_start"], st["lo_max"], ei, ef)
        return self._away_from_ports(RawEvents(ei, ef, n), chunk)

    def _away_from_ports(self, raw: RawEvents, chunk: TrackChunk) -> RawEvents:
        """Stops at a berth or in an anchorage are harbour life, not a sudden stop at sea."""
        if not raw.n:
            return raw
        rows = raw.ei[:, 0] - 1
        harbour = chunk.in_anchorage[rows].copy() if chunk.in_anchorage is not None else np.zeros(raw.n, bool)
        if self._ports is not None:
            reach = self.P[raw.ei[:, 8], self.PARAMS.index("min_port_distance_m")]
            near = self._ports.nearest(raw.ef[:, 1], raw.ef[:, 0], float(reach.max()))
            harbour |= near.distance_m <= reach
        if self._inland is not None:
            harbour |= self._inland(raw.ef[:, 1], raw.ef[:, 0])
        if harbour.any():
            self.engine.stats["speed_drop_in_harbour"] += int(harbour.sum())
            keep = ~harbour
            return RawEvents(raw.ei[keep], raw.ef[keep], int(keep.sum()))
        return raw

    def evidence(self, v: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        ev = super().evidence(v, params, subtype)
        ev.update({"from_kn": crossed(v["from_kn"], params["high_kn"]), "to_kn": crossed(v["to_kn"], params["low_kn"]),
                   "decay_s": crossed(v["decay_s"], params["within_s"]),
                   "sustained_s": crossed(v["sustained_s"], params["sustain_s"])})
        return ev

    def severity(self, v, params, subtype, crit, in_corr) -> int:
        return clamp_severity(2 + (2 if in_corr else 0) + (1 if in_corr and crit >= 4 else 0))
