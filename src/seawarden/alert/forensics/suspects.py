"""After-fault forensics: which vessels crossed or lingered over an asset in a window, and why.

    report = rank_suspects(store, index, "Estlink 2", t0, t1)
    console.print(report.to_table())

Two stages keep it fast on a month of regional traffic:

1. **pre-filter in the store**: only fixes inside a chain of small boxes along the asset (corridor +
   margin) and inside the window are read; compiled distance/crossing kernels over those rows pick
   the candidates (in the corridor, or crossing it between two fixes);
2. **candidate tracks only**: each candidate's own track (hours before and after its presence, for
   its cruising baseline and the detectors' warm-up) is read, and crossings, speed profiles, time in
   corridor, gaps and detector events are computed on whole arrays.

The score is a documented weighted sum (suspects.toml); each reason carries its points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from time import perf_counter
from typing import Any

import numpy as np
import pyarrow as pa

from seawarden.alert.forensics.config import ForensicsInputError, SuspectConfig
from seawarden.alert.forensics.focus import AssetFocus
from seawarden.alert.forensics.profile import ProfileScorer, default_profile
from seawarden.alert.forensics.report import Crossing, EventRef, Gap, Reason, Suspect, SuspectReport, iso
from seawarden.assets.spatial import AssetIndex
from seawarden.detect import DetectConfig, DetectionEngine, Event
from seawarden.store.base import Store
from seawarden.timeutil import utc
from seawarden.track.geo import haversine_m_array

KN = 1852.0 / 3600.0  # m/s per knot


def _ms(value: datetime) -> int:
    return int(round(value.timestamp() * 1000))


def _dt(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)


@dataclass
class Fixes:
    """POSITIONS rows as NumPy columns sorted by (mmsi, ts), without null positions or repeated (mmsi, ts)."""

    mmsi: np.ndarray  # int64
    ts: np.ndarray  # int64 ms
    lon: np.ndarray
    lat: np.ndarray
    sog: np.ndarray  # kn; NaN where not reported (filled from positions by `with_speed`)
    cog: np.ndarray

    @classmethod
    def from_table(cls, t: pa.Table) -> "Fixes":
        def col(name: str) -> np.ndarray:
            return np.asarray(t[name].cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)

        mmsi = t["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)
        ts = t["ts"].cast(pa.int64()).to_numpy(zero_copy_only=False)
        lon, lat, sog, cog = col("lon"), col("lat"), col("sog"), col("cog")
        ok = np.isfinite(lon) & np.isfinite(lat)
        order = np.flatnonzero(ok)[np.lexsort((ts[ok], mmsi[ok]))]
        mmsi, ts = mmsi[order], ts[order]
        keep = np.ones(len(order), dtype=bool)
        keep[1:] = (mmsi[1:] != mmsi[:-1]) | (ts[1:] != ts[:-1])
        order = order[keep]
        return cls(mmsi[keep], ts[keep], lon[order], lat[order], sog[order], cog[order])

    def __len__(self) -> int:
        return len(self.ts)

    def steps(self) -> np.ndarray:
        """Index i of every fix followed by a fix i + 1 of the same vessel."""
        return np.flatnonzero(self.mmsi[1:] == self.mmsi[:-1])

    def with_speed(self, max_speed_kn: float = math.inf) -> "Fixes":
        """SOG filled from positions where the vessel did not report it (speed over the adjacent steps);
        speeds above max_speed_kn (position glitches, not ships) become NaN and feed no speed profile."""
        i = self.steps()
        dt = (self.ts[i + 1] - self.ts[i]) / 1000.0
        v = np.where(dt > 0, haversine_m_array(self.lat[i], self.lon[i], self.lat[i + 1], self.lon[i + 1]) / np.maximum(dt, 1e-9) / KN, np.nan)
        derived = np.full(len(self), np.nan)
        derived[i] = v
        back = np.full(len(self), np.nan)
        back[i + 1] = v
        derived = np.where(np.isfinite(derived), derived, back)
        sog = np.where(np.isfinite(self.sog), self.sog, derived)
        sog = np.where(sog <= max_speed_kn, sog, np.nan)
        return Fixes(self.mmsi, self.ts, self.lon, self.lat, sog, self.cog)


@dataclass
class _Crossings:
    row: np.ndarray  # index of the fix before the crossing
    ts: np.ndarray  # interpolated time ms
    lon: np.ndarray
    lat: np.ndarray
    km: np.ndarray
    angle: np.ndarray
    gap_s: np.ndarray


def _crossings(focus: AssetFocus, f: Fixes, t0_ms: int, t1_ms: int, max_speed_kn: float) -> _Crossings:
    """Crossings of the asset (part) in the window; a step faster than max_speed_kn is a position glitch, not a crossing."""
    i = f.steps()
    res = focus.index.crossings(f.lon[i], f.lat[i], f.lon[i + 1], f.lat[i + 1])
    row = i[res.pair_idx]
    ts = f.ts[row] + res.frac * (f.ts[row + 1] - f.ts[row])
    step_m = haversine_m_array(f.lat[row], f.lon[row], f.lat[row + 1], f.lon[row + 1])
    physical = step_m <= max_speed_kn * KN * np.maximum(f.ts[row + 1] - f.ts[row], 1) / 1000.0
    keep = (ts >= t0_ms) & (ts < t1_ms) & focus.in_part(res.lon, res.lat) & physical
    return _Crossings(row[keep], ts[keep].astype(np.int64), res.lon[keep], res.lat[keep], res.km_point[keep], res.angle_deg[keep],
                      ((f.ts[row + 1] - f.ts[row]) / 1000.0)[keep])


def _concat(tables: list[pa.Table]) -> pa.Table:
    tables = [t for t in tables if t.num_rows]
    if not tables:
        from seawarden import schema

        return schema.POSITIONS.empty_table()
    return pa.concat_tables(tables)


def _prefilter(store: Store, boxes: list[tuple[float, float, float, float]], t0: datetime, t1: datetime) -> pa.Table:
    return _concat([store.positions_in_box(*b, t0, t1) for b in boxes])


def fetch_tracks(store: Store, mmsis: np.ndarray, start_ms: np.ndarray, end_ms: np.ndarray) -> pa.Table:
    """Each candidate's POSITIONS in its own [start, end), in one batched store query (not one per vessel)."""
    return store.tracks([int(m) for m in mmsis], [_dt(s) for s in start_ms], [_dt(e) for e in end_ms])


def _bearing(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    y = math.sin(math.radians(lon1 - lon0)) * math.cos(math.radians(lat1))
    x = math.cos(math.radians(lat0)) * math.sin(math.radians(lat1)) - math.sin(math.radians(lat0)) * math.cos(math.radians(lat1)) * math.cos(math.radians(lon1 - lon0))
    return math.degrees(math.atan2(y, x)) % 360.0


def _course_change(f: Fixes, b0: int, b1: int, a0: int, a1: int) -> float:
    """Angle between the displacement courses over fixes b0..b1 (before) and a0..a1 (after); NaN if either is empty."""
    if b1 <= b0 or a1 <= a0:
        return math.nan
    cb = _bearing(f.lon[b0], f.lat[b0], f.lon[b1], f.lat[b1])
    ca = _bearing(f.lon[a0], f.lat[a0], f.lon[a1], f.lat[a1])
    return abs((ca - cb + 180.0) % 360.0 - 180.0)


def _median(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else math.nan


class _Analysis:
    """Crossings, speed profile, dwell and gaps of the candidates, vectorised over their tracks."""

    def __init__(self, focus: AssetFocus, cfg: SuspectConfig, tracks: Fixes, box_ts_sorted: np.ndarray, t0_ms: int, t1_ms: int):
        self.f = f = tracks
        self.cfg, self.focus, self.t0, self.t1 = cfg, focus, t0_ms, t1_ms
        corridor = focus.corridor_m
        reach = max(corridor, float(cfg["gaps"]["near_asset_m"]))
        self.dist, self.km = focus.distance(f.lon, f.lat, reach)
        self.in_corr = (self.dist <= corridor) & focus.in_part(f.lon, f.lat, corridor)
        self.vessels, self.vidx = np.unique(f.mmsi, return_inverse=True)
        self.bounds = np.searchsorted(f.mmsi, self.vessels), np.searchsorted(f.mmsi, self.vessels, side="right")
        self.cross = _crossings(focus, f, t0_ms, t1_ms, float(cfg["speed"]["max_speed_kn"]))
        self.box_ts = box_ts_sorted

    # -- per vessel totals --------------------------------------------------------------------------
    def dwell(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(seconds in corridor, first ms, last ms, min distance m in the window) per vessel."""
        f, n = self.f, len(self.vessels)
        i = f.steps()
        both = i[self.in_corr[i] & self.in_corr[i + 1]]
        step = np.minimum(f.ts[both + 1], self.t1) - np.maximum(f.ts[both], self.t0)
        step = np.clip(step, 0, float(self.cfg["search"]["max_dwell_step_s"]) * 1000.0)
        secs = np.bincount(self.vidx[both], weights=step / 1000.0, minlength=n)
        inwin = (f.ts >= self.t0) & (f.ts < self.t1)
        sel = np.flatnonzero(self.in_corr & inwin)
        first = np.full(n, np.iinfo(np.int64).max)
        last = np.full(n, np.iinfo(np.int64).min)
        np.minimum.at(first, self.vidx[sel], f.ts[sel])
        np.maximum.at(last, self.vidx[sel], f.ts[sel])
        cv = self.vidx[self.cross.row]
        np.minimum.at(first, cv, self.cross.ts)
        np.maximum.at(last, cv, self.cross.ts)
        mind = np.full(n, np.inf)
        w = np.flatnonzero(inwin & self.focus.in_part(f.lon, f.lat, self.focus.corridor_m))
        np.minimum.at(mind, self.vidx[w], self.dist[w])
        return secs, first, last, mind

    def crossing_records(self) -> list[list[Crossing]]:
        """Per vessel, its crossings with the speed profile around each (few rows: a loop is fine)."""
        s = self.cfg["speed"]
        out: list[list[Crossing]] = [[] for _ in self.vessels]
        c, f = self.cross, self.f
        for k in range(len(c.ts)):
            v = int(self.vidx[c.row[k]])
            a, b = int(self.bounds[0][v]), int(self.bounds[1][v])
            ts, sog = f.ts[a:b], f.sog[a:b]
            tc = int(c.ts[k])

            def window(m0: float, m1: float) -> np.ndarray:
                lo, hi = np.searchsorted(ts, tc + m0 * 60_000), np.searchsorted(ts, tc + m1 * 60_000)
                return sog[lo:hi]

            base_w = window(-float(s["baseline_from_min"]), -float(s["baseline_to_min"]))
            base_w = base_w[np.isfinite(base_w) & (base_w >= float(s["underway_kn"]))]
            baseline = float(np.quantile(base_w, float(s["baseline_quantile"]))) if base_w.size else math.nan
            before = _median(window(-float(s["before_min"]), 0.0))
            after = _median(window(float(s["after_from_min"]), float(s["after_to_min"])))
            lo_b, hi_b = np.searchsorted(ts, tc - float(s["course_window_min"]) * 60_000), np.searchsorted(ts, tc)
            lo_a, hi_a = np.searchsorted(ts, tc + float(s["after_from_min"]) * 60_000), np.searchsorted(ts, tc + float(s["after_to_min"]) * 60_000)
            turn = _course_change(f, a + lo_b, a + hi_b - 1, a + lo_a, a + hi_a - 1)
            r = int(c.row[k])
            frac = (tc - f.ts[r]) / max(f.ts[r + 1] - f.ts[r], 1)
            at = float(f.sog[r] + frac * (f.sog[r + 1] - f.sog[r]))
            drop = 1.0 - after / baseline if math.isfinite(baseline) and baseline > 0 and math.isfinite(after) else math.nan
            at_line = 1.0 - after / before if math.isfinite(before) and before > 0 and math.isfinite(after) else math.nan
            out[v].append(Crossing(tc, float(c.lon[k]), float(c.lat[k]), float(c.km[k]), float(c.angle[k]), before, at, after,
                                   baseline, drop, float(c.gap_s[k]), bool(c.gap_s[k] > float(self.cfg["search"]["max_pair_gap_s"])),
                                   at_line, turn))
        return out

    def gaps(self) -> list[list[Gap]]:
        g = self.cfg["gaps"]
        f = self.f
        i = f.steps()
        dt = f.ts[i + 1] - f.ts[i]
        near = np.minimum(self.dist[i], self.dist[i + 1])
        slack = float(g["near_asset_m"])
        part = self.focus.in_part(f.lon[i], f.lat[i], slack) | self.focus.in_part(f.lon[i + 1], f.lat[i + 1], slack)
        sel = (dt >= float(g["min_gap_s"]) * 1000) & (f.ts[i] < self.t1) & (f.ts[i + 1] > self.t0) & (near <= slack) & part
        i, near = i[sel], near[sel]
        heard = np.searchsorted(self.box_ts, f.ts[i + 1], side="left") - np.searchsorted(self.box_ts, f.ts[i], side="right")
        out: list[list[Gap]] = [[] for _ in self.vessels]
        for j, r in enumerate(i):
            out[int(self.vidx[r])].append(Gap(int(f.ts[r]), int(f.ts[r + 1]), float(near[j]), int(heard[j])))
        return out


def _detector_events(tracks: pa.Table, index: AssetIndex, cfg: SuspectConfig, detect_config: DetectConfig | None) -> list[Event]:
    if not tracks.num_rows or not cfg["detectors"]["run"]:
        return []
    engine = DetectionEngine(detect_config, index, detectors=list(cfg["detectors"]["run"]))
    ordered = tracks.sort_by([("ts", "ascending"), ("mmsi", "ascending")])
    events = engine.process(ordered) + engine.flush()
    latest: dict[str, Event] = {}
    for e in events:  # open -> closed share an id: keep the latest word on each
        latest[e.event_id] = e
    return list(latest.values())


def _event_refs(events: list[Event], focus: AssetFocus, cfg: SuspectConfig, t0_ms: int, t1_ms: int) -> dict[int, list[EventRef]]:
    weights, off = cfg["weights"]["events"], float(cfg["detectors"]["off_asset_factor"])
    out: dict[int, list[EventRef]] = {}
    for e in sorted(events, key=lambda e: (e.mmsi, e.start)):
        end = e.end if e.end is not None else e.detected_at
        if e.start >= t1_ms or end < t0_ms or e.type not in weights:
            continue
        on = e.asset_id == focus.asset_id
        if on and focus.near is not None and e.lat is not None:
            on = bool(focus.in_part(np.array([e.lon]), np.array([e.lat]), focus.corridor_m)[0])
        pts = float(weights[e.type]) * e.severity / 5.0 * (1.0 if on else off)
        keep = {k: v for k, v in e.evidence.items() if k != "track" and isinstance(v, (int, float, str, bool, dict))}
        out.setdefault(e.mmsi, []).append(EventRef(e.event_id, e.type, e.subtype, e.start, e.end, e.severity, e.asset_id,
                                                   e.asset_name, e.lat, e.lon, on, pts, keep))
    return out


def _signature(x: Crossing, sp: dict[str, Any]) -> float:
    """0..1: how strongly a crossing shows the Eagle S drag pattern (see suspects.toml [speed])."""
    if not (math.isfinite(x.drop_at_line) and math.isfinite(x.course_change_deg) and math.isfinite(x.baseline_kn)):
        return 0.0
    pre = 1.0 - x.sog_before_kn / x.baseline_kn if x.baseline_kn > 0 else 1.0
    if pre > float(sp["signature_max_pre_decline"]) or x.course_change_deg > float(sp["signature_max_course_change_deg"]):
        return 0.0
    if x.sog_after_kn < float(sp["signature_min_after_kn"]):
        return 0.0
    lo, hi = float(sp["signature_drop_from"]), float(sp["signature_drop_full"])
    return float(np.clip((x.drop_at_line - lo) / (hi - lo), 0.0, 1.0))


def _score(s: Suspect, cfg: SuspectConfig, profile: list[Reason], asset_name: str) -> list[Reason]:
    w, sp, g = cfg["weights"], cfg["speed"], cfg["gaps"]
    reasons: list[Reason] = []
    c = s.crossings
    if c:
        counted = min(len(c), int(w["max_crossings_counted"]))
        where = "; ".join(f"{iso(x.ts_ms)} at km {x.km_point:.1f}, {x.angle_deg:.0f}° to the line" for x in c[:3])
        more = f" (+{len(c) - 3} more)" if len(c) > 3 else ""
        reasons.append(Reason("crossing", float(w["crossing"]) * counted, f"crossed {len(c)}x: {where}{more}",
                              {"count": len(c), "counted": counted}))
        slow = [x for x in c if math.isfinite(x.sog_at_kn) and x.sog_at_kn < float(sp["slow_crossing_kn"])]
        if slow:
            reasons.append(Reason("slow_crossing", float(w["slow_crossing"]),
                                  f"crossed at {slow[0].sog_at_kn:.1f} kn (< {float(sp['slow_crossing_kn']):g} kn) at {iso(slow[0].ts_ms)}"))
        drops = [x for x in c if math.isfinite(x.drop_fraction) and x.sog_after_kn >= float(sp["underway_kn"])]
        if drops:
            x = max(drops, key=lambda x: x.drop_fraction)
            if x.drop_fraction >= float(sp["min_drop_fraction"]):
                pts = min(float(w["max_speed_drop"]), float(w["speed_drop_per_10pct"]) * x.drop_fraction * 10.0)
                reasons.append(Reason("speed_drop", pts,
                                      f"slowed {x.drop_fraction:.0%} against its own cruising speed after crossing at {iso(x.ts_ms)}: "
                                      f"{x.baseline_kn:.1f} kn baseline, {x.sog_before_kn:.1f} kn before, {x.sog_at_kn:.1f} kn at the line, "
                                      f"{x.sog_after_kn:.1f} kn {float(sp['after_from_min']):g}-{float(sp['after_to_min']):g} min after",
                                      {"drop_fraction": round(x.drop_fraction, 3), "baseline_kn": round(x.baseline_kn, 2)}))
    sig = [x for x in c if _signature(x, sp) > 0]
    if sig:
        x = max(sig, key=lambda x: _signature(x, sp))
        reasons.append(Reason("drag_signature", float(w["drag_signature"]) * _signature(x, sp),
                              f"drag signature at {iso(x.ts_ms)}: slowed {x.drop_at_line:.0%} from the line on "
                              f"({x.sog_before_kn:.1f} -> {x.sog_after_kn:.1f} kn), not slowing before it, course kept "
                              f"({x.course_change_deg:.0f}° change), still under way",
                              {"drop_at_line": round(x.drop_at_line, 3), "course_change_deg": round(x.course_change_deg, 1)}))
    excess_h = (s.time_in_corridor_s / 60.0 - float(w["corridor_free_min"])) / 60.0
    if excess_h > 0:
        reasons.append(Reason("corridor_time", min(float(w["max_corridor"]), float(w["corridor_per_hour"]) * excess_h),
                              f"{s.time_in_corridor_s / 3600:.1f} h inside the {asset_name} corridor "
                              f"({iso(s.first_in_corridor_ms)} .. {iso(s.last_in_corridor_ms)})",
                              {"seconds": round(s.time_in_corridor_s)}))
    gap_pts = 0.0
    for gap in s.gaps:
        hours = (gap.end_ms - gap.start_ms) / 3.6e6
        if gap.others_heard >= int(g["min_other_fixes"]):
            pts = max(float(w["gap_min_points"]), float(w["gap_per_hour"]) * hours)
            pts = max(0.0, min(pts, float(w["max_gaps"]) - gap_pts))
            gap_pts += pts
            reasons.append(Reason("gap", pts, f"AIS silent {hours * 60:.0f} min from {iso(gap.start_ms)}, {gap.distance_m / 1000:.1f} km "
                                               f"from the asset, while {gap.others_heard} fixes of other vessels were heard there"))
        else:
            reasons.append(Reason("gap", 0.0, f"AIS silent {hours * 60:.0f} min from {iso(gap.start_ms)} near the asset, but only "
                                               f"{gap.others_heard} fixes of others were heard (coverage hole, not counted)"))
    per_type: dict[str, float] = {}
    cap = float(cfg["weights"]["events"]["max_per_type"])
    for e in s.events:
        pts = max(0.0, min(e.points, cap - per_type.get(e.type, 0.0)))
        per_type[e.type] = per_type.get(e.type, 0.0) + pts
        e.points = pts
        where = f"on {e.asset_name}" if e.on_asset else (f"near {e.asset_name} (other asset)" if e.asset_name else "away from any asset")
        sub = f"/{e.subtype}" if e.subtype else ""
        if pts > 0 or e.type != "approach":
            reasons.append(Reason(f"event.{e.type}", pts, f"{e.type}{sub} severity {e.severity} {iso(e.start_ms)} .. "
                                                          f"{iso(e.end_ms) or 'open'} {where}", {"event_id": e.event_id}))
    reasons.extend(profile)
    return reasons


def rank_suspects(store: Store, index: AssetIndex, asset_name_or_id: str, t0: datetime, t1: datetime,
                  near: tuple[float, float] | None = None, radius_km: float | None = None,
                  config: SuspectConfig | None = None, *, detect_config: DetectConfig | None = None,
                  profile: ProfileScorer | None = None) -> SuspectReport:
    """Rank every vessel that crossed or lingered over an asset (or its part within radius_km of near=(lat, lon))."""
    clock = [perf_counter()]

    def lap() -> float:
        clock.append(perf_counter())
        return round(clock[-1] - clock[-2], 4)

    cfg = config or SuspectConfig.load()
    t0u, t1u = utc(t0, "from", ForensicsInputError), utc(t1, "to", ForensicsInputError)
    if t1u <= t0u:
        raise ForensicsInputError(f"empty window: --to {t1u.isoformat()} is not after --from {t0u.isoformat()}")
    t0_ms, t1_ms = _ms(t0u), _ms(t1u)
    search = cfg["search"]
    focus = AssetFocus.build(index.assets, asset_name_or_id, near, radius_km, float(search["near_radius_km"]))
    stats: dict[str, Any] = {}

    # 1. pre-filter in the store, candidates from the boxes
    boxes = focus.boxes(float(search["prefilter_margin_m"]), float(search["max_box_deg"]))
    box = Fixes.from_table(_prefilter(store, boxes, t0u, t1u))
    stats.update(boxes=len(boxes), rows_prefiltered=len(box), seconds_prefilter=lap())
    corridor = focus.corridor_m
    bdist, _ = focus.distance(box.lon, box.lat, corridor)
    in_corr = (bdist <= corridor) & focus.in_part(box.lon, box.lat, corridor)
    bc = _crossings(focus, box, t0_ms, t1_ms, float(cfg["speed"]["max_speed_kn"]))
    present = np.concatenate([np.flatnonzero(in_corr), bc.row])
    cands, inv = np.unique(box.mmsi[present], return_inverse=True)
    first = np.full(len(cands), np.iinfo(np.int64).max)
    last = np.full(len(cands), np.iinfo(np.int64).min)
    np.minimum.at(first, inv, box.ts[present])
    np.maximum.at(last, inv, box.ts[present])
    stats.update(candidates=len(cands), seconds_candidates=lap())

    # 2. candidate tracks only
    start = first - int(float(search["context_before_h"]) * 3.6e6)
    end = last + int(float(search["context_after_h"]) * 3.6e6) + 1
    tracks_table = fetch_tracks(store, cands, start, end)
    tracks = Fixes.from_table(tracks_table).with_speed(float(cfg["speed"]["max_speed_kn"]))
    stats.update(rows_tracks=len(tracks), seconds_tracks=lap())
    suspects: list[Suspect] = []
    if len(tracks):
        an = _Analysis(focus, cfg, tracks, np.sort(box.ts), t0_ms, t1_ms)
        secs, vfirst, vlast, mind = an.dwell()
        crossings, gaps = an.crossing_records(), an.gaps()
        stats["seconds_analysis"] = lap()
        events = _event_refs(_detector_events(tracks_table, index, cfg, detect_config), focus, cfg, t0_ms, t1_ms)
        stats["seconds_detectors"] = lap()
        static = store.static_latest([int(m) for m in an.vessels])
        ident = {int(r["mmsi"]): r for r in static.to_pylist()}
        scorer, stats["profile"] = (profile, "caller") if profile is not None else default_profile()
        prof = scorer([int(m) for m in an.vessels], static, t1_ms, cfg)
        counts = np.bincount(an.vidx, minlength=len(an.vessels))
        for v, m in enumerate(an.vessels):
            m = int(m)
            if not crossings[v] and secs[v] <= 0 and vfirst[v] == np.iinfo(np.int64).max:
                continue  # seen in a box only through a fix outside the window's corridor
            r = ident.get(m, {})
            s = Suspect(m, 0.0, [], crossings[v], gaps[v], events.get(m, []), float(secs[v]),
                        None if vfirst[v] == np.iinfo(np.int64).max else int(vfirst[v]),
                        None if vlast[v] == np.iinfo(np.int64).min else int(vlast[v]), float(mind[v]), int(counts[v]),
                        r.get("name"), r.get("callsign"), r.get("imo"), r.get("ship_type"))
            s.reasons = _score(s, cfg, prof.get(m, []), focus.asset_name)
            s.score = float(sum(x.points for x in s.reasons))
            suspects.append(s)
        stats["seconds_scoring"] = lap()
    suspects.sort(key=lambda s: (-round(s.score, 6), s.first_in_corridor_ms or 0, s.mmsi))
    for k, s in enumerate(suspects, 1):
        s.rank = k
    stats["seconds_total"] = round(clock[-1] - clock[0], 4)
    stats.setdefault("profile", "none (no candidates)")
    near_q = None if focus.near is None else (focus.near[1], focus.near[0])
    return SuspectReport(focus.asset_id, focus.asset_name, str(index.assets.kind[focus.row]), corridor, t0_ms, t1_ms, near_q,
                         None if focus.radius_m is None else focus.radius_m / 1000.0, suspects, stats,
                         {k: v for k, v in cfg["weights"].items()}, stats.pop("profile"))
