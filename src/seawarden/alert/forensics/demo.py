"""A forensic scenario built from real traffic: normal crossers of Estlink 2 plus one Eagle S-like dragger.

There are no long real Baltic tracks in the shared data, so the scenario borrows real US motion
(MarineCadastre 2020-06-30) and lays it where the real Gulf of Finland traffic runs:

* the dragger: a steady US window relocated rigidly across the cable, exactly as in the
  `baltic_eagle_s_estlink2` evaluation scenario (`seawarden.detect.eval.inject.relocate`, docs/scenarios.md),
  with the Eagle S drag injected. After the drag it regains cruise and sails on down the Gulf until the
  scenario ends (as Eagle S did until the Finnish Coast Guard stopped it): a track that simply stopped
  after the drag read (rightly) as the ship going dark over Estlink 1.
* the background crossers: through traffic from berth to berth. Routes come from the real Gulf picture
  (`gulf_picture`, Fintraffic Digitraffic snapshots): nodes are real berths (still vessels in ports, kept
  only when CORRIDOR_MARGIN_M clear of every default asset's corridor: a ship moored for hours in a
  corridor is a loiterer) and real under-way vessels; two nodes are linked when the straight leg between
  them stays on water (1 km land mask; harbour basins, which the mask calls land, excepted near berths),
  a leg costing more the more it runs across the lanes' courses. The cheapest path from a berth on one
  side of Estlink 2 to a berth on the other that crosses the cable once, corner-smoothed, with no turn
  sharper than MAX_TURN_DEG at sea and at most MAX_ROUTE_M long, is a route.
  A crosser is one real US voyage (`_voyages`): a run between two stops (SOG < 1 kn) with no report gap
  over 10 min, cruising steadily between its first and last half hour (within STEADY_FRACTION ..
  PEAK_FRACTION of its median speed). It is laid along a route: its steady cruise is sailed once more
  for every cruise-length the route is longer (`_Voyage.expanded`; the US voyages run 25-120 km, the
  routes 80-160 km), the rest absorbed by scaling distances and SOG alike (ROUTE_STRETCH); its real
  report times, speed profile, course wobble about its own smoothed course (clipped to MAX_WOBBLE_DEG),
  MMSI and message type are kept. It leaves one berth and arrives at the other, then lies there moored,
  reporting every 3 min (ITU-R M.1371 moored rate) until the scenario ends: no track starts or ends in
  mid-sea, so no crosser "goes dark" inside a corridor. Crossings are spread over +-4 h around the drag,
  alternately west- and eastbound. Only the dragger is injected.

The earlier version relocated 5-h windows of mostly local shuttles across the cable; they started and
ended in mid-sea inside corridors and raised false `ais_gap` alerts in `seawarden watch --demo` (issue #6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from seawarden.assets.context import land_mask
from seawarden.detect.eval import inject as inj
from seawarden.detect.eval.kinematics import GEOD
from seawarden.detect.eval.real_data import load_asset, load_us_coastal_day, positions_table, sort_positions
from seawarden.detect.eval.scenarios import steady_windows
from seawarden.schema import POSITIONS

ESTLINK2_CROSS_AT = (26.048584, 59.92956)  # the cable's mid-gulf vertex (GridKit link 14816), as in docs/scenarios.md
DRAGGER_COURSE_DEG = 255.0  # down the Gulf, as Eagle S
ROUTE_BOX = (24.6, 59.3, 29.0, 60.7)  # berths and lanes the crossers' routes may use (Helsinki .. Ust-Luga/Primorsk)
LINK_M = 40_000.0  # longest straight leg between two route nodes (the snapshots leave ~35 km between ships near the cable)
LEG_SAMPLE_M = 250.0  # legs are checked for land every this many metres
ACROSS_LANE_COST = 3.0  # a leg running at right angles to the real traffic at its ends costs (1 + this) x its length
MAX_TURN_DEG = 35.0  # a route with a sharper turn within TURN_WINDOW_M at sea is not used: an alteration of
TURN_WINDOW_M = 5_000.0  # >= 45 deg within 30 min of a corridor reads as a diverted approach, a cue of intent
HARBOUR_APPROACH_M = 7_000.0  # turns this close to either berth are the harbour's fairway
SMOOTH_PASSES = 3  # Chaikin corner cutting: ships turn over a few cables' lengths, not on a point
ROUTE_STRETCH = (0.9, 1.12)  # route length / laid voyage length accepted: speeds scale by it
MAX_ROUTE_M = 160_000.0  # Helsinki-Kotka, Muuga-Sillamae: passages of hours, so the demo's day stays a day
ROUTE_REUSE = 2  # ships on one berth-to-berth route, hours apart (a lane carries many)
STOP_KN = 1.0  # a voyage runs between two fixes below this speed
MAX_REPORT_GAP_S = 600.0  # a real voyage with a longer silence inside is not used (it would be a real gap)
VOYAGE_H = (1.5, 10.0)  # real voyage durations used
HARBOUR_S = 1800.0  # the first and last half hour of a voyage may be slow (leaving and entering port)
MAX_WOBBLE_DEG = 10.0  # the real course wobble kept about the route; more is the real voyage's own turns, which the
#                       route does not follow (a 50-deg COG swing on a straight route reads as a diverted approach)
CRUISE_KN = (7.0, 18.0)  # median speed of a through-traffic voyage (not a harbour launch, not a fast craft)
STEADY_FRACTION = 0.9  # ... which never falls below this x its median between the harbour half hours: a real slow
#                        stretch laid over a corridor reads as an Eagle S drag (x0.74 of cruise)
PEAK_FRACTION = 1.25  # ... nor runs above this x its median anywhere: a sprint before cruise reads as "slowing"
MOORED_REPORT_S = 180.0  # ITU-R M.1371: a moored class A ship reports every 3 minutes
NAV_MOORED = 5
SETTLED_S = 1800.0  # the data ends this long after the last arrival: every crosser is seen moored
CORRIDOR_MARGIN_M = 1000.0  # berths keep this far outside every corridor
DRAG_RESUME_MIN = 30.0  # after the drag the dragger regains cruise over this long, then sails on (`_sail_on`)


@dataclass
class DragScenario:
    positions: pa.Table
    dragger: int
    crossers: list[int]
    labels: list[dict]
    t_ref_ms: int  # the dragger's crossing reference time (end of its steady window)


def estlink2_drag_scenario(shared: Path, *, crossers: int = 12, seed: int = 20241225, drag_km: float = 80.0) -> DragScenario:
    us = load_us_coastal_day(shared)
    windows = steady_windows(us, (7.5, 14.0))
    if not windows:
        raise ValueError("US coastal day: no steady cruising window for the dragger")
    asset = load_asset(shared, "estlink-2")
    line = inj.AssetLine(asset.geometry, asset.asset_id, asset.asset_name)
    host_m, t_ref = windows[0]
    back = GEOD.fwd(*ESTLINK2_CROSS_AT, (DRAGGER_COURSE_DEG + 180) % 360, 3000.0)[:2]
    host = inj.relocate(us, host_m, anchor_ms=t_ref, to=(float(back[0]), float(back[1])), course_deg=DRAGGER_COURSE_DEG,
                        t_from_ms=t_ref - 120 * 60_000, t_to_ms=t_ref + 30 * 60_000)
    rng = np.random.default_rng(seed)
    clear = _clear_of_corridors(shared)
    background, chosen = _crossers(us, shared, asset.geometry, t_ref, crossers, rng, exclude=host_m, clear=clear)
    r = inj.inject_anchor_drag(sort_positions(pa.concat_tables([host, *background])), host_m, line, drag_km=drag_km,
                               seed=seed, scenario="forensics_estlink2", after_min=DRAG_RESUME_MIN)
    end_ms = int(pc.max(r.positions["ts"]).cast(pa.int64()).as_py()) + int(SETTLED_S * 1000)
    tail = _sail_on(r.positions, host_m, end_ms)
    pos = _moored_at_berths(sort_positions(pa.concat_tables([r.positions, tail])), chosen, end_ms)
    return DragScenario(pos, host_m, chosen, r.labels, t_ref)


# -- the dragger after the drag --------------------------------------------------------------------------------


def _sail_on(positions: pa.Table, mmsi: int, until_ms: int) -> pa.Table:
    """The dragger keeps its last course and speed, reporting at its cadence, until `until_ms` -- as Eagle S sailed on
    down the Gulf until the Finnish Coast Guard stopped it. A track that simply stopped after the drag read
    (rightly) as the ship going dark over Estlink 1; one that anchored near the cables read as loitering."""
    tr = inj.track_of(positions, mmsi)
    v0, course = float(tr.sog[-1]), float(tr.cog[-1])
    t = np.arange(max(tr.cadence_s(), 10.0), (until_ms - tr.ts[-1]) / 1000.0 + 1.0, max(tr.cadence_s(), 10.0))
    lon, lat, _ = GEOD.fwd(np.full(t.size, tr.lon[-1]), np.full(t.size, tr.lat[-1]), np.full(t.size, course), v0 * inj.KN_TO_MS * t)
    if land_mask()(lon, lat).any():
        raise ValueError(f"MMSI {mmsi}: sailing on at {course:.0f} deg after the drag runs ashore; shorten drag_km")
    return positions_table(mmsi, tr.ts[-1] + np.round(t * 1000).astype(np.int64), lat, lon, sog=np.full(t.size, round(v0, 1)),
                           cog=np.full(t.size, course), heading=np.full(t.size, np.round(course)), nav_status=np.zeros(t.size),
                           source="injected").cast(POSITIONS)


def _clear_of_corridors(shared: Path) -> Callable[..., np.ndarray]:
    """clear(lon, lat): on water and at least CORRIDOR_MARGIN_M outside the corridor of every default asset in the
    Gulf -- where a ship may lie moored for hours without being a loiterer over a cable."""
    from seawarden.assets.adapters import load_default_assets

    on_land = land_mask()
    assets = load_default_assets(shared, bbox=(GULF_OF_FINLAND[0] - 0.5, GULF_OF_FINLAND[1] - 0.3, GULF_OF_FINLAND[2] + 0.5,
                                               GULF_OF_FINLAND[3] + 0.3), on_land=on_land)
    metric = shapely.transform(np.asarray(assets.geometry), _to_metric)
    reach = np.asarray(assets.corridor_m, dtype=float) + CORRIDOR_MARGIN_M
    tree = shapely.STRtree(metric)

    def clear(lon: np.ndarray, lat: np.ndarray, on_water: bool = True) -> np.ndarray:
        pts = shapely.points(_to_metric(np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)])))
        hit = np.zeros(len(pts), dtype=bool)
        pi, ai = tree.query(pts, predicate="dwithin", distance=float(reach.max()))
        close = shapely.distance(pts[pi], metric[ai]) <= reach[ai]
        hit[pi[close]] = True
        return ~hit & ~on_land(np.atleast_1d(lon), np.atleast_1d(lat)) if on_water else ~hit

    return clear


def _to_metric(lonlat: np.ndarray) -> np.ndarray:
    """Equirectangular metres about the Gulf's middle: good to ~2 % across the Gulf, enough for corridors and legs."""
    return np.column_stack([(lonlat[:, 0] - 26.0) * np.cos(np.radians(60.0)) * M_PER_DEG, (lonlat[:, 1] - 60.0) * M_PER_DEG])


def _moored_at_berths(pos: pa.Table, mmsis: list[int], end_ms: int) -> pa.Table:
    """Each crosser, arrived at its berth, lies there moored until end_ms, reporting every MOORED_REPORT_S: seen at
    the quay, not vanishing at sea. (Fixes moored before departure were tried: the real departures' first
    1-2 kn fixes after them read as a drift.)"""
    parts = [pos]
    for m in mmsis:
        tr = inj.track_of(pos, m)
        t = np.arange(tr.ts[-1] + int(MOORED_REPORT_S * 1000), end_ms + 1, int(MOORED_REPORT_S * 1000), dtype=np.int64)
        if t.size:
            parts.append(positions_table(m, t, np.full(t.size, tr.lat[-1]), np.full(t.size, tr.lon[-1]), sog=np.zeros(t.size),
                                         cog=np.full(t.size, tr.cog[-1]), heading=np.full(t.size, np.round(tr.cog[-1])),
                                         nav_status=np.full(t.size, NAV_MOORED), source="relocated:gulf_berth").cast(POSITIONS))
    return sort_positions(pa.concat_tables(parts))


@dataclass
class _Route:
    lon: np.ndarray
    lat: np.ndarray
    s_m: np.ndarray  # distance along the route at each vertex
    az: np.ndarray  # azimuth of each segment
    cross_m: float  # where it crosses the cable
    westbound: bool


@dataclass
class _Voyage:
    mmsi: int
    rows: np.ndarray  # row indices into the US table sorted by (mmsi, ts)
    step_m: np.ndarray  # distance from the previous fix (0 at the first)
    mid: slice  # the steady cruise between the harbour half hours (positions within rows)

    def expanded(self, repeats: int, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, times, steps) with the steady cruise sailed 1 + repeats times: a longer passage made of the
        vessel's own real cruising (reports, speeds, wobble), the harbour legs at both ends kept as they were."""
        head, mid, tail = np.arange(self.mid.start), np.arange(self.mid.start, self.mid.stop), np.arange(self.mid.stop, len(self.rows))
        t = ts[self.rows]
        lap_ms = t[mid[-1]] - t[mid[0]] + int(np.median(np.diff(t[mid])))  # one more report interval at each join
        pos = np.concatenate([head, *([mid] * (repeats + 1)), tail])
        shift = np.concatenate([np.zeros(head.size, np.int64), *[np.full(mid.size, k * lap_ms) for k in range(repeats + 1)],
                                np.full(tail.size, repeats * lap_ms)])
        steps = self.step_m[pos].copy()
        joins = head.size + mid.size * np.arange(1, repeats + 1)
        steps[joins] = self.step_m[mid[1:]].mean()  # the join: a typical cruise step
        return self.rows[pos], t[pos] + shift, steps

    @property
    def dist_m(self) -> float:
        return float(self.step_m.sum())

    @property
    def cruise_m(self) -> float:
        return float(self.step_m[self.mid.start + 1:self.mid.stop].sum())


def _berth_nodes(pic: GulfPicture) -> tuple[np.ndarray, np.ndarray]:
    """One real berthed vessel per 0.1-degree harbour cell with at least two of them (the one nearest the cell's median)."""
    cell = np.round(pic.berth_lon * 10).astype(np.int64) * 10_000 + np.round(pic.berth_lat * 10).astype(np.int64)
    lon, lat = [], []
    for c in np.unique(cell):
        k = np.flatnonzero(cell == c)
        if k.size < 2:
            continue
        d = np.hypot(pic.berth_lon[k] - np.median(pic.berth_lon[k]), pic.berth_lat[k] - np.median(pic.berth_lat[k]))
        lon.append(pic.berth_lon[k[np.argmin(d)]])
        lat.append(pic.berth_lat[k[np.argmin(d)]])
    return np.array(lon), np.array(lat)


def _routes(pic: GulfPicture, cable: shapely.Geometry, clear: Callable[..., np.ndarray]) -> list[_Route]:
    """Cheapest on-water paths from berth to berth across the cable (see the module docstring)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    box = ROUTE_BOX
    blon, blat = _berth_nodes(pic)
    inb = (blon >= box[0]) & (blon <= box[2]) & (blat >= box[1]) & (blat <= box[3]) & clear(blon, blat, on_water=False)  # the 1 km mask calls many basins land
    blon, blat = blon[inb], blat[inb]
    lane = (pic.lane_lon >= box[0]) & (pic.lane_lon <= box[2]) & (pic.lane_lat >= box[1]) & (pic.lane_lat <= box[3])
    lon = np.concatenate([blon, pic.lane_lon[lane]])
    lat = np.concatenate([blat, pic.lane_lat[lane]])
    axis = np.concatenate([np.full(blon.size, np.nan), pic.lane_cog[lane]])
    nb = blon.size
    i, j = np.triu_indices(lon.size, 1)
    x, y = (lon - 26.0) * np.cos(np.radians(60.0)) * M_PER_DEG, (lat - 60.0) * M_PER_DEG
    d = np.hypot(x[i] - x[j], y[i] - y[j])
    near = (d <= LINK_M) & (d > 0)
    i, j, d = i[near], j[near], d[near]
    k = np.maximum(np.ceil(d / LEG_SAMPLE_M).astype(np.int64), 1)
    leg = np.repeat(np.arange(i.size), k + 1)
    f = np.arange(leg.size) - np.repeat(np.cumsum(k + 1) - (k + 1), k + 1)
    f = f / np.repeat(k, k + 1)
    slon = lon[i][leg] + f * (lon[j] - lon[i])[leg]
    slat = lat[i][leg] + f * (lat[j] - lat[i])[leg]
    at_berth = ((i[leg] < nb) & (f * d[leg] <= HARBOUR_BASIN_M)) | ((j[leg] < nb) & ((1 - f) * d[leg] <= HARBOUR_BASIN_M))
    dry = land_mask()(slon, slat) & ~at_berth
    ok = np.bincount(leg, dry, minlength=i.size) == 0
    i, j, d = i[ok], j[ok], d[ok]
    bearing = np.degrees(np.arctan2(x[j] - x[i], y[j] - y[i]))
    ends = np.abs(np.sin(np.radians(bearing - np.stack([axis[i], axis[j]]))))  # NaN at a berth (no course)
    seen = np.isfinite(ends).sum(axis=0)
    across = np.where(seen > 0, np.nansum(ends, axis=0) / np.maximum(seen, 1), 0.0)
    cost = d * (1.0 + ACROSS_LANE_COST * across)
    graph = coo_matrix((np.concatenate([cost, cost]), (np.concatenate([i, j]), np.concatenate([j, i]))), shape=(lon.size,) * 2).tocsr()
    _, pred = dijkstra(graph, indices=np.arange(nb), return_predecessors=True)
    routes = []
    for a in range(nb):
        for b in range(nb):
            if a == b or pred[a, b] < 0:
                continue
            path = [b]
            while path[-1] != a:
                path.append(int(pred[a, path[-1]]))
            r = _route(lon[path[::-1]], lat[path[::-1]], cable)
            if r is not None and r.s_m[-1] <= MAX_ROUTE_M:
                routes.append(r)
    return routes


def _route(lon: np.ndarray, lat: np.ndarray, cable: shapely.Geometry) -> _Route | None:
    """The smoothed route along the path, or None unless it crosses the cable exactly once."""
    for _ in range(SMOOTH_PASSES):
        q = np.column_stack([lon, lat])
        cut = np.empty((2 * (len(q) - 1), 2))
        cut[0::2], cut[1::2] = 0.75 * q[:-1] + 0.25 * q[1:], 0.25 * q[:-1] + 0.75 * q[1:]
        q = np.vstack([q[:1], cut, q[-1:]])
        lon, lat = q[:, 0], q[:, 1]
    az, _, seg = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    s = np.concatenate([[0.0], np.cumsum(seg)])
    hits = inj.crossings(lon, lat, s, cable)  # "times" are distances along the route
    if hits.size != 1 or _sharpest_turn(np.asarray(az), s) > MAX_TURN_DEG:
        return None
    return _Route(lon, lat, s, np.asarray(az), float(hits[0]), westbound=bool(lon[-1] < lon[0]))


def _sharpest_turn(az: np.ndarray, s: np.ndarray) -> float:
    """The largest course change within TURN_WINDOW_M of sailing, away from the berths (harbour turns are free)."""
    mid = 0.5 * (s[:-1] + s[1:])
    inner = np.flatnonzero((mid >= HARBOUR_APPROACH_M) & (mid <= s[-1] - HARBOUR_APPROACH_M))
    if inner.size < 2:
        return 0.0
    a, m = np.unwrap(np.radians(az[inner])), mid[inner]
    ahead = np.searchsorted(m, m + TURN_WINDOW_M).clip(max=m.size - 1)
    return float(np.degrees(np.abs(a[ahead] - a).max()))


def _voyages(us: pa.Table) -> tuple[pa.Table, list[_Voyage]]:
    """Real through-traffic voyages of the US day (module docstring); the table they index, sorted by (mmsi, ts)."""
    us = us.filter(pc.and_(pc.is_valid(us["lat"]), pc.is_valid(us["lon"])))
    us = us.take(pc.sort_indices(us, [("mmsi", "ascending"), ("ts", "ascending")]))
    mmsi = us["mmsi"].to_numpy().astype(np.int64)
    ts = us["ts"].cast(pa.int64()).to_numpy()
    sog = us["sog"].cast(pa.float64()).fill_null(np.nan).to_numpy()
    lon, lat = us["lon"].to_numpy(), us["lat"].to_numpy()
    moving = sog >= STOP_KN
    brk = np.ones(len(ts), dtype=bool)
    brk[1:] = (mmsi[1:] != mmsi[:-1]) | (np.diff(ts) > MAX_REPORT_GAP_S * 1000) | ~moving[1:] | ~moving[:-1]
    run = np.cumsum(brk) - 1
    _, _, step = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    step = np.concatenate([[0.0], step])
    step[brk] = 0.0
    out = []
    for r in np.unique(run[moving]):
        rows = np.flatnonzero(run == r)
        t = ts[rows]
        hours = (t[-1] - t[0]) / 3.6e6
        if not VOYAGE_H[0] <= hours <= VOYAGE_H[1] or not CRUISE_KN[0] <= np.nanmedian(sog[rows]) <= CRUISE_KN[1]:
            continue
        mid = (t >= t[0] + HARBOUR_S * 1000) & (t <= t[-1] - HARBOUR_S * 1000)
        cruise = np.nanmedian(sog[rows])
        if not (sog[rows][mid] >= STEADY_FRACTION * cruise).all() or np.nanmax(sog[rows]) > PEAK_FRACTION * cruise:
            continue
        before, after = rows[0] - 1, rows[-1] + 1  # a real departure and arrival: stopped just before and just after
        if before < 0 or after >= len(ts) or mmsi[before] != mmsi[rows[0]] or mmsi[after] != mmsi[rows[0]]:
            continue
        if ts[rows[0]] - ts[before] > MAX_REPORT_GAP_S * 1000 or ts[after] - ts[rows[-1]] > MAX_REPORT_GAP_S * 1000:
            continue
        m = np.flatnonzero(mid)
        if m.size >= 10:
            out.append(_Voyage(int(mmsi[rows[0]]), rows, step[rows], slice(int(m[0]), int(m[-1]) + 1)))
    return us, out


def _lay(us: pa.Table, v: _Voyage, repeats: int, route: _Route, cross_at_ms: int) -> pa.Table:
    """The voyage's fixes laid along the route (module docstring), its cable crossing at cross_at_ms."""
    ts_all = us["ts"].cast(pa.int64()).to_numpy()
    rows, ts, step = v.expanded(repeats, ts_all)
    sub = us.take(rows)
    stretch = route.s_m[-1] / step.sum()
    s = np.cumsum(step) * stretch
    seg = np.clip(np.searchsorted(route.s_m, s, side="right") - 1, 0, len(route.az) - 1)
    f = np.clip((s - route.s_m[seg]) / np.maximum(route.s_m[seg + 1] - route.s_m[seg], 1e-9), 0.0, 1.0)
    lon = route.lon[seg] + f * (route.lon[seg + 1] - route.lon[seg])
    lat = route.lat[seg] + f * (route.lat[seg + 1] - route.lat[seg])
    cog = sub["cog"].cast(pa.float64()).fill_null(np.nan).to_numpy()
    c = np.radians(np.nan_to_num(cog))
    w = np.isfinite(cog).astype(float)
    kern = np.ones(11)
    smooth = np.degrees(np.arctan2(np.convolve(np.sin(c) * w, kern, "same"), np.convolve(np.cos(c) * w, kern, "same")))
    wobble = np.clip((cog - smooth + 180.0) % 360.0 - 180.0, -MAX_WOBBLE_DEG, MAX_WOBBLE_DEG)
    new_cog = np.mod(route.az[seg] + wobble, 360.0)
    hdg = sub["heading"].cast(pa.float64()).fill_null(np.nan).to_numpy()
    new_hdg = np.mod(route.az[seg] + np.clip((hdg - smooth + 180.0) % 360.0 - 180.0, -2 * MAX_WOBBLE_DEG, 2 * MAX_WOBBLE_DEG), 360.0)
    shift = cross_at_ms - int(np.interp(route.cross_m, s, ts))
    sog = sub["sog"].cast(pa.float64()).fill_null(np.nan).to_numpy() * stretch
    nav = sub["nav_status"].cast(pa.float64()).fill_null(np.nan).to_numpy()
    return positions_table(v.mmsi, ts + shift, lat, lon, sog=np.round(sog, 1), cog=np.round(new_cog, 1), heading=new_hdg,
                           nav_status=nav, msg_type=sub["msg_type"].to_numpy(), source="relocated:gulf_route").cast(POSITIONS)


def _crossers(us: pa.Table, shared: Path, cable: shapely.Geometry, t_ref: int, n: int, rng: np.random.Generator,
              exclude: int, clear: Callable[..., np.ndarray]) -> tuple[list[pa.Table], list[int]]:
    """n real voyages on routes across the cable, crossing it evenly spread over +-4 h around t_ref (module docstring)."""
    routes = _routes(gulf_picture(shared), cable, clear)
    table, voyages = _voyages(us)
    used_mmsi, used_route = {exclude}, np.zeros(len(routes), np.int64)
    length = np.array([r.s_m[-1] for r in routes])
    westbound = np.array([r.westbound for r in routes])
    parts, chosen = [], []
    offsets_h = np.linspace(-4.0, 4.0, n)
    order = rng.permutation(len(voyages))
    for k in range(n):
        want_west = k % 2 == 0
        for vi in order:
            v = voyages[vi]
            if v.mmsi in used_mmsi:
                continue
            repeats = np.maximum(np.round((length - v.dist_m) / v.cruise_m), 0)
            stretch = length / (v.dist_m + repeats * v.cruise_m)
            fit = (westbound == want_west) & (stretch >= ROUTE_STRETCH[0]) & (stretch <= ROUTE_STRETCH[1]) & (used_route < ROUTE_REUSE)
            if not fit.any():
                continue
            ri = int(rng.choice(np.flatnonzero(fit)))
            parts.append(_lay(table, v, int(repeats[ri]), routes[ri], t_ref + int(offsets_h[k] * 3.6e6)))
            chosen.append(v.mmsi)
            used_mmsi.add(v.mmsi)
            used_route[ri] += 1
            break
        else:
            raise ValueError(f"Gulf routes x US voyages: only {len(chosen)} of {n} crossers found "
                             f"({len(routes)} routes across the cable, {len(voyages)} voyages)")
    return parts, chosen


# -- a month of regional background traffic ------------------------------------------------------------------

GULF_OF_FINLAND = (22.5, 59.3, 29.5, 60.6)  # lon/lat box of the Gulf of Finland traffic
DIGITRAFFIC_SNAPSHOTS = ("digitraffic_snapshot_2025-12-11T2044Z.parquet", "digitraffic_snapshot_2025-12-12T1231Z.parquet")
UNDERWAY_KN = 3.0  # at or above: making way (the detectors' and suspects.toml's underway threshold)
STILL_KN = 1.0  # below: moored, anchored or drifting
BERTH_PORT_M = 10_000.0  # a still vessel this close to a World Port Index port is at a berth or a port anchorage
PORT_BOUND_S = 1800.0  # a vessel-day with this much time below UNDERWAY_KN spends it in a harbour
LANE_JITTER_M = 1000.0  # copies on one real lane vessel spread across the lane ...
COURSE_JITTER_DEG = 5.0  # ... and along its course, so no two copies share a track
BERTH_JITTER_M = 500.0
HARBOUR_BASIN_M = 1500.0  # the 1 km land mask calls harbour basins land: fixes this close to the berth are water
M_PER_DEG = 111_320.0


@dataclass
class GulfPicture:
    """Where real vessels are in the Gulf (Fintraffic Digitraffic snapshots): under way with their course, and at berths."""

    lane_lon: np.ndarray
    lane_lat: np.ndarray
    lane_cog: np.ndarray
    berth_lon: np.ndarray
    berth_lat: np.ndarray


def gulf_picture(shared: Path, box: tuple[float, float, float, float] = GULF_OF_FINLAND) -> GulfPicture:
    """One row per MMSI (the fresher snapshot wins), Digitraffic's "not available" SOG 102.3 / COG 360 dropped.

    Berths are still vessels within BERTH_PORT_M of a World Port Index port (tracktable-data, extra
    `context`): a still vessel elsewhere is a patrol on station or a stale last report (the snapshot
    keeps last-known positions), not where a day of harbour life belongs."""
    import pyarrow.parquet as pq

    from seawarden.assets.context import PortIndex

    folder = shared / "ais_snapshot_digitraffic_baltic_2025-12"
    latest: dict[int, tuple[float, float, float, float]] = {}
    for name in DIGITRAFFIC_SNAPSHOTS:  # oldest first
        t = pq.read_table(folder / name, columns=["mmsi", "lon", "lat", "sog", "cog"])
        for m, lon, lat, sog, cog in zip(*(t[c].to_numpy(zero_copy_only=False) for c in ("mmsi", "lon", "lat", "sog", "cog"))):
            latest[int(m)] = (float(lon), float(lat), float(sog), float(cog))
    lon, lat, sog, cog = (np.array(c) for c in zip(*latest.values()))
    inside = (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3]) & (sog < 102.2)
    lane = inside & (sog >= UNDERWAY_KN) & (cog < 360.0)
    ports = PortIndex.build((box[0] - 0.5, box[1] - 0.3, box[2] + 0.5, box[3] + 0.3))
    berth = inside & (sog < STILL_KN) & (ports.nearest(lon, lat, BERTH_PORT_M).port_idx >= 0)
    return GulfPicture(lon[lane], lat[lane], cog[lane], lon[berth], lat[berth])


def _pick_one(rng: np.random.Generator, owner: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """One random element of `rows` per owner 0..n-1 (rows grouped by owner, sorted); -1 where an owner has none."""
    lo = np.searchsorted(owner[rows], np.arange(n))
    count = np.bincount(owner[rows], minlength=n)
    k = np.minimum(lo + (rng.random(n) * count).astype(np.int64), max(len(rows) - 1, 0))
    return np.where(count > 0, rows[k] if len(rows) else -1, -1)


def _us_day_frames(shared: Path):
    """The US coastal day sorted by (vessel, time): ts, sog, cog, vessel index, and each fix in its vessel's local metric frame."""
    us = load_us_coastal_day(shared)
    mmsi = us["mmsi"].to_numpy().astype(np.int64)
    ts = us["ts"].cast(pa.int64()).to_numpy()
    o = np.lexsort((ts, mmsi))
    lon, lat = us["lon"].to_numpy()[o], us["lat"].to_numpy()[o]
    sog = us["sog"].to_numpy(zero_copy_only=False).astype(float)[o]
    cog = us["cog"].to_numpy(zero_copy_only=False).astype(float)[o]
    _, v = np.unique(mmsi[o], return_inverse=True)
    clat = np.bincount(v, lat) / np.bincount(v)
    x = (lon - (np.bincount(v, lon) / np.bincount(v))[v]) * np.cos(np.radians(clat[v])) * M_PER_DEG
    y = (lat - clat[v]) * M_PER_DEG
    return ts[o], sog, cog, v, x, y


def _placed(x, y, v, x0, y0, turn, ex, ny, tlon, tlat):
    """Rotate each vessel's frame by `turn` (compass sense) about (x0, y0), shift by (ex, ny) m, put it at (tlon, tlat)."""
    a = np.radians(turn)[v]
    dx, dy = x - x0[v], y - y0[v]
    xr = dx * np.cos(a) + dy * np.sin(a) + ex[v]
    yr = -dx * np.sin(a) + dy * np.cos(a) + ny[v]
    return xr, yr, tlon[v] + xr / (np.cos(np.radians(tlat[v])) * M_PER_DEG), tlat[v] + yr / M_PER_DEG


def regional_days(shared: Path, days: int, seed: int, *, copies_per_day: int = 1, first_mmsi: int = 200_000_000):
    """Yield (day, POSITIONS) for `days` days of Gulf of Finland traffic built from the real US coastal day.

    Every US vessel-day (1,185 vessels) is moved rigidly (local metric frame, rotation) copies_per_day times
    a day, with the day's time shift and a fresh MMSI (first_mmsi + (day * copies_per_day + copy) * 10_000 + vessel). Where it goes follows the
    real Gulf picture (`gulf_picture`), so each behaviour lands where the Gulf shows it:

    * a port-bound vessel-day (>= PORT_BOUND_S below UNDERWAY_KN: moored, anchored, harbour work, fishing
      on a spot) has one random slow fix put on a real berth (a still vessel near a port), randomly turned:
      it lies in a port and leaves it or comes in under way;
    * any other vessel-day has one random under-way fix put on a real under-way vessel (jittered across
      the lane), turned onto that vessel's course: through traffic crosses cables at its cruising speed.

    Placing every vessel-day uniformly at random instead (the first version of bench/suspects.py) moved a
    US day's harbour life into the open Gulf: over 30 days ~150 vessels crept, stopped and "dragged"
    over mid-Gulf Estlink 2 and buried the injected dragger at rank 151 (bench/suspects.py prints the
    plausibility check). Land is not masked (a lane-aligned day-long track runs on for hundreds of km).
    """
    ts, sog, cog, v, x, y = _us_day_frames(shared)
    nv = int(v.max()) + 1
    step_s = np.zeros(len(ts))
    same = v[1:] == v[:-1]
    step_s[:-1] = np.where(same, np.minimum(np.diff(ts) / 1000.0, 1800.0), 0.0)
    slow = np.flatnonzero(np.isfinite(sog) & (sog < UNDERWAY_KN))
    underway = np.flatnonzero((sog >= UNDERWAY_KN) & np.isfinite(cog))
    port_bound = (np.bincount(v[slow], step_s[slow], minlength=nv) >= PORT_BOUND_S) | (np.bincount(v[underway], minlength=nv) == 0)
    pic = gulf_picture(shared)
    on_land = land_mask()
    rng = np.random.default_rng(seed)
    for d, copy in ((d, c) for d in range(days) for c in range(copies_per_day)):
        block = d * copies_per_day + copy
        anchor = np.where(port_bound, _pick_one(rng, v, slow, nv), _pick_one(rng, v, underway, nv))
        has = anchor >= 0
        x0, y0 = np.where(has, x[np.maximum(anchor, 0)], 0.0), np.where(has, y[np.maximum(anchor, 0)], 0.0)
        lane, berth = rng.integers(0, len(pic.lane_lon), nv), rng.integers(0, len(pic.berth_lon), nv)
        course = pic.lane_cog[lane] + rng.uniform(-COURSE_JITTER_DEG, COURSE_JITTER_DEG, nv)
        turn = np.where(port_bound, rng.uniform(0, 360, nv), course - np.where(has, cog[np.maximum(anchor, 0)], 0.0))
        across = rng.uniform(-LANE_JITTER_M, LANE_JITTER_M, nv)
        jr, ja = BERTH_JITTER_M * np.sqrt(rng.random(nv)), rng.uniform(0, 2 * np.pi, nv)
        ex = np.where(port_bound, jr * np.cos(ja), across * np.cos(np.radians(course)))  # lane: offset across the course
        ny = np.where(port_bound, jr * np.sin(ja), -across * np.sin(np.radians(course)))
        tlon = np.where(port_bound, pic.berth_lon[berth], pic.lane_lon[lane])
        tlat = np.where(port_bound, pic.berth_lat[berth], pic.lane_lat[lane])
        xr, yr, nlon, nlat = _placed(x, y, v, x0, y0, turn, ex, ny, tlon, tlat)
        basin = port_bound[v] & (np.hypot(xr - ex[v], yr - ny[v]) <= HARBOUR_BASIN_M)
        keep = _sea_run(v, on_land(nlon, nlat) & ~basin, anchor)
        yield d, positions_table(first_mmsi + block * 10_000 + v[keep], ts[keep] + d * 86_400_000, nlat[keep], nlon[keep],
                                 sog=sog[keep], cog=np.mod(cog + turn[v], 360.0)[keep], source="relocated:gulf_background")


def _sea_run(owner: np.ndarray, land: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Mask of the fixes kept: per owner (rows grouped by owner, in time order) the run of consecutive
    water fixes that holds its anchor fix, or its longest water run when the anchor itself is on land.
    A moved track that would run ashore ends at the coast, as a ship's AIS track ends in port."""
    n = int(owner.max()) + 1 if len(owner) else 0
    start = np.ones(len(owner), dtype=bool)
    start[1:] = (owner[1:] != owner[:-1]) | (land[1:] != land[:-1])
    run = np.cumsum(start) - 1
    size = np.bincount(run, weights=~land)
    order = np.lexsort((size[run], owner))  # per owner, its longest water run last
    best = run[order][np.searchsorted(owner[order], np.arange(n), side="right") - 1]
    a = np.maximum(anchor, 0)
    want = np.where((anchor >= 0) & ~land[a], run[a], best)
    return ~land & (run == want[owner])


def uniform_days(shared: Path, days: int, seed: int, *, first_mmsi: int = 200_000_000):
    """The naive peer of `regional_days`: each US vessel-day moved to a uniformly random point of the Gulf box,
    randomly turned, land not masked. Kept to measure what plausible placement changes (bench/suspects.py)."""
    ts, sog, cog, v, x, y = _us_day_frames(shared)
    nv = int(v.max()) + 1
    zero = np.zeros(nv)
    rng = np.random.default_rng(seed)
    box = GULF_OF_FINLAND
    for d in range(days):
        tlon, tlat = rng.uniform(box[0], box[2], nv), rng.uniform(box[1], box[3], nv)
        turn = rng.uniform(0, 360, nv)
        _, _, nlon, nlat = _placed(x, y, v, zero, zero, turn, zero, zero, tlon, tlat)
        yield d, positions_table(first_mmsi + d * 10_000 + v, ts + d * 86_400_000, nlat, nlon, sog=sog,
                                 cog=np.mod(cog + turn[v], 360.0), source="relocated:uniform")
