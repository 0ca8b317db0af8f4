"""The scenario suite: real traffic with injected, labelled behaviours (construction in docs/scenarios.md).

Each scenario directory holds ``positions.parquet`` (POSITIONS), ``static.parquet`` (STATIC, if
any), ``labels.jsonl``, ``assets.geojson`` (the real assets used, copied geometry + origin) and
``scenario.toml`` (seed, sources and construction parameters). Everything is deterministic
for a seed: hosts are chosen by documented rules, never by hand-picked row numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from shapely.geometry import MultiLineString, box

from . import inject as inj
from seawarden.schema import POSITIONS

from seawarden.assets.context import PortIndex, land_mask
from seawarden.detect.detectors.approach import path_blocked

from .kinematics import GEOD
from .real_data import (
    NamedAsset,
    load_asset,
    load_kystverket_vestland,
    load_ny_harbour_week,
    load_solent,
    load_us_coastal_day,
    sort_positions,
)
from .times import parse_iso_ms

DEFAULT_SEED = 20241225
NY_BOX = box(-74.5, 40.2, -73.3, 41.0)
#: A point well inland (Central Park, Manhattan) for "position on land" spoofing.
NY_LAND_POINT = (-73.9654, 40.7829)


@dataclass
class Built:
    positions: pa.Table
    labels: list[dict]
    assets: list[NamedAsset]
    params: dict
    static: pa.Table | None = None
    sources: list[str] = field(default_factory=list)


def _local(asset: NamedAsset, region) -> inj.AssetLine:
    """The asset clipped to a region (a trans-ocean cable only matters where the traffic is)."""
    geom = asset.geometry.intersection(region)
    return inj.AssetLine(geom, asset.asset_id, asset.asset_name)


def _counts(positions: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    return np.unique(positions["mmsi"].to_numpy(), return_counts=True)


def _busiest(positions: pa.Table, k: int, exclude: Iterable[int] = ()) -> list[int]:
    """The k MMSIs with most fixes (ties by MMSI), a reproducible way to choose hosts."""
    u, c = _counts(positions)
    order = np.lexsort((u, -c))
    ex = set(exclude)
    return [int(u[i]) for i in order if int(u[i]) not in ex][:k]


def _fix_time(positions: pa.Table, mmsi: int, frac: float) -> int:
    tr = inj.track_of(positions, mmsi)
    return int(tr.ts[int(frac * (len(tr.ts) - 1))])


def _cruising_fix(positions: pa.Table, mmsi: int, min_kn: float,
                  where: Callable[[float, float], bool] | None = None) -> int:
    """First fix after 10% of the track where the last 10 min are steady above ``min_kn`` (and ``where(lon, lat)``)."""
    tr = inj.track_of(positions, mmsi)
    for i in range(len(tr.ts) // 10, len(tr.ts) - 20):
        w = (tr.ts >= tr.ts[i] - 600_000) & (tr.ts <= tr.ts[i])
        if w.sum() >= 4 and np.nanmin(tr.sog[w]) >= min_kn and (where is None or where(tr.lon[i], tr.lat[i])):
            return int(tr.ts[i])
    raise ValueError(f"MMSI {mmsi} never cruises steadily above {min_kn} kn there")


def _fast_hosts(positions: pa.Table, min_kn: float, exclude: Iterable[int],
                where: Callable[[float, float], bool] | None = None) -> list[int]:
    out = []
    for m in _busiest(positions, 60, exclude):
        try:
            _cruising_fix(positions, m, min_kn, where)
            out.append(m)
        except ValueError:
            continue
    return out


def _open_sea(min_port_km: float, clear_km: float = 2.0) -> Callable[[float, float], bool]:
    """Open water: no land on the 1 km mask (which also calls basins, rivers and marinas land) within ``clear_km``
    and at least ``min_port_km`` from any World Port Index port -- where a stop is no berthing (extra "context")."""
    on_land, ports = land_mask(), PortIndex.build()
    az = np.repeat(np.arange(0.0, 360.0, 45.0), 2)
    dist = np.tile([0.5 * clear_km * 1000, clear_km * 1000], 8)

    def ok(lon: float, lat: float) -> bool:
        x, y = np.array([lon], float), np.array([lat], float)
        rx, ry, _ = GEOD.fwd(np.full(az.size, lon), np.full(az.size, lat), az, dist)
        return (not on_land(np.append(rx, lon), np.append(ry, lat)).any()
                and ports.nearest(x, y, min_port_km * 1000).port_idx[0] < 0)

    return ok


def _approach_start(positions: pa.Table, target: tuple[float, float], exclude: Iterable[int], *,
                    min_kn: float = 6.0, km: tuple[float, float] = (8.0, 30.0), min_turn_deg: float = 60.0
                    ) -> tuple[int, int]:
    """(MMSI, time) of the first fix, busiest vessels first, where a ship under way at sea could leave its route
    for ``target``: bearing to it >= ``min_turn_deg`` off its course (a deviation, not its route), distance in
    ``km`` and open water all the way (1 km land mask every 250 m)."""
    on_land = land_mask()
    for m in _busiest(positions, 60, exclude):
        tr = inj.track_of(positions, m)
        for i in range(len(tr.ts) // 10, len(tr.ts) * 9 // 10):
            if not tr.sog[i] >= min_kn or not np.isfinite(tr.cog[i]):
                continue
            az, _, dist = GEOD.inv(tr.lon[i], tr.lat[i], *target)
            if not km[0] * 1000 <= dist <= km[1] * 1000 or abs(inj.angle_diff_deg(tr.cog[i], az)) < min_turn_deg:
                continue
            if not path_blocked(on_land, float(tr.lat[i]), float(tr.lon[i]), target[1], target[0], 0.0):
                return m, int(tr.ts[i])
    raise ValueError(f"no vessel under way at sea within {km} km of {target} with open water to it")


def _offshore_point(line, km: float) -> tuple[float, float]:
    """A point ``km`` along the first part of a cable from its landing (its first vertex)."""
    part = line.geoms[0] if isinstance(line, MultiLineString) else line
    (x0, y0), (x1, y1) = part.coords[0], part.coords[1]
    az, _, _ = GEOD.inv(x0, y0, x1, y1)
    lon, lat, _ = GEOD.fwd(x0, y0, az, km * 1000.0)
    return float(lon), float(lat)


# ------------------------------------------------------------------ untouched real traffic


def untouched_ny_week(shared: Path, seed: int) -> Built:
    return Built(load_ny_harbour_week(shared), [], [load_asset(shared, "flag-atlantic-1")],
                 {"window": "whole week"}, sources=["ais_noaa_marinecadastre/NYHarbor_2020-12-01_to_07_trajectories.parquet"])


def untouched_solent(shared: Path, seed: int) -> Built:
    assets = [load_asset(shared, k) for k in ("portsmouth-ryde-10", "portsmouth-ryde-11", "cowes-fawley-2")]
    return Built(load_solent(shared), [], assets, {}, sources=["ais_solent_2016-01-12_stonesoup/SolentAIS_20160112_130211.csv.gz"])


def untouched_vestland(shared: Path, seed: int) -> Built:
    assets = [load_asset(shared, k) for k in ("n0r5ke-viking-2", "tampnet-north")]
    return Built(load_kystverket_vestland(shared), [], assets, {},
                 sources=["ais_csv_kystverket_2022-09-01_vestland/kystverket_vestland_2022-09-01_10k_rows.csv.gz"])


# ------------------------------------------------------------------ NY harbour injections

NY_WINDOW = ("2020-12-02T00:00:00", "2020-12-04T00:00:00")
NY_SOURCE = "ais_noaa_marinecadastre/NYHarbor_2020-12-01_to_07_trajectories.parquet"


def _ny(shared: Path) -> tuple[pa.Table, NamedAsset, inj.AssetLine]:
    fa1 = load_asset(shared, "flag-atlantic-1")
    return load_ny_harbour_week(shared, *NY_WINDOW), fa1, _local(fa1, NY_BOX)


def ny_loitering_and_dark(shared: Path, seed: int) -> Built:
    """Host A loiters over FA-1 for 4 h; host B loiters there too and goes dark for 2 h in the middle."""
    pos, fa1, line = _ny(shared)
    a, b = _busiest(pos, 2)
    at = _offshore_point(line.line, 6.0)
    at_b = _offshore_point(line.line, 9.0)
    rng = np.random.default_rng(seed)
    r = inj.inject_loitering(pos, a, line, start_ms=_fix_time(pos, a, 0.2), hours=4.0, at=at, seed=rng, scenario="ny_loitering_and_dark")
    r2 = inj.inject_loitering(r.positions, b, line, start_ms=_fix_time(pos, b, 0.5), hours=5.0, at=at_b, seed=rng,
                              scenario="ny_loitering_and_dark")
    loiter_b = parse_iso_ms(r2.labels[0]["start"])
    r3 = inj.inject_ais_gap(r2.positions, b, start_ms=loiter_b + 3_600_000, hours=2.0, asset=line, scenario="ny_loitering_and_dark")
    return Built(r3.positions, r.labels + r2.labels + r3.labels, [fa1],
                 {"hosts": [a, b], "loiter_centres": [at, at_b], "hours": [4.0, 5.0], "gap_h": 2.0}, sources=[NY_SOURCE])


def ny_drift(shared: Path, seed: int) -> Built:
    """The most stationary busy vessel (lowest median SOG) drifts off its anchorage for 3 h."""
    pos, fa1, _ = _ny(shared)
    cands = _busiest(pos, 30)
    med = [float(np.nanmedian(inj.track_of(pos, m).sog)) for m in cands]
    host = cands[int(np.argmin(med))]
    r = inj.inject_drift(pos, host, start_ms=_fix_time(pos, host, 0.3), hours=3.0, seed=seed, scenario="ny_drift")
    return Built(r.positions, r.labels, [fa1], {"host": host, "host_median_sog_kn": round(min(med), 2), "hours": 3.0},
                 sources=[NY_SOURCE])


def ny_spoofing(shared: Path, seed: int) -> Built:
    """Teleport (40 km jump), a position on land, two ships on one MMSI, and a gap with an impossible reappearance."""
    pos, fa1, _ = _ny(shared)
    a, b, c, d, e = _busiest(pos, 5)
    labels = []
    r = inj.inject_teleport(pos, a, at_ms=_fix_time(pos, a, 0.4), jump_km=40.0, bearing_deg=135.0, scenario="ny_spoofing")
    labels += r.labels
    r = inj.inject_teleport(r.positions, b, at_ms=_fix_time(pos, b, 0.6), to=NY_LAND_POINT, kind="on_land", scenario="ny_spoofing")
    labels += r.labels
    t0 = _fix_time(pos, c, 0.3)
    r = inj.inject_twin(r.positions, c, d, start_ms=t0, end_ms=t0 + 2 * 3_600_000, scenario="ny_spoofing")
    labels += r.labels
    r = inj.inject_ais_gap(r.positions, e, start_ms=_fix_time(pos, e, 0.5), hours=1.0, reappear_shift_m=(120_000.0, 0.0),
                           scenario="ny_spoofing")
    labels += r.labels
    return Built(r.positions, labels, [fa1], {"teleport": a, "on_land": b, "land_point": NY_LAND_POINT, "twin_victim": c,
                                              "twin_donor": d, "impossible_gap": e}, sources=[NY_SOURCE])


def ny_rendezvous(shared: Path, seed: int) -> Built:
    """Two busy vessels meet 8 km off Long Beach (away from the harbour anchorages) for 1.5 h."""
    pos, fa1, line = _ny(shared)
    a, b = _busiest(pos, 2, exclude=_busiest(pos, 5))
    landing = line.line.geoms[0].coords[0] if isinstance(line.line, MultiLineString) else line.line.coords[0]
    meet = GEOD.fwd(landing[0], landing[1], 200.0, 8000.0)[:2]
    r = inj.inject_rendezvous(pos, a, b, start_ms=_fix_time(pos, a, 0.35), meet_at=(float(meet[0]), float(meet[1])),
                              hours=1.5, seed=seed, scenario="ny_rendezvous")
    return Built(r.positions, r.labels, [fa1], {"vessels": [a, b], "meet_at": list(meet), "hours": 1.5}, sources=[NY_SOURCE])


def ny_identity(shared: Path, seed: int) -> Built:
    """A name/callsign change, a re-flag to a new MMSI (new MID), and one IMO under two MMSIs."""
    pos, fa1, _ = _ny(shared)
    a, b, c, d = _busiest(pos, 4, exclude=_busiest(pos, 7))
    ident = dict(imo=9_100_001, callsign="WDK1234", name="NORTHERN STAR")
    r = inj.inject_identity_change(pos, a, at_ms=_fix_time(pos, a, 0.5), identity=ident,
                                   new_identity=dict(ident, callsign="V7AB9", name="STAR OF NORTH"), scenario="ny_identity")
    reflag = 636_000_000 + b % 1_000_000  # MID 636 (Liberia) instead of the US 36x
    ident_b = dict(imo=9_100_002, callsign="WDL5678", name="HARBOUR PRIDE")
    r2 = inj.inject_identity_change(r.positions, b, at_ms=_fix_time(pos, b, 0.5), identity=ident_b,
                                    new_identity=dict(ident_b, callsign="A8XY2"), new_mmsi=reflag, scenario="ny_identity",
                                    static=r.static)
    r3 = inj.inject_shared_imo(r2.positions, c, d, imo=9_100_003, identity_a=dict(callsign="WDM1111", name="ATLANTIC DAWN"),
                               identity_b=dict(callsign="WDN2222", name="ATLANTIC DUSK"), scenario="ny_identity", static=r2.static)
    return Built(r3.positions, r.labels + r2.labels + r3.labels, [fa1],
                 {"name_change": a, "reflag": [b, reflag], "shared_imo": [c, d]}, static=r3.static, sources=[NY_SOURCE])


#: FA-1 reaches open water ~6 km from its landing on Long Beach; the approach target lies 10 km along it.
NY_APPROACH_KM = 10.0
#: A stop this far from any WPI port, at sea, is no berthing (the speed_drop detector's harbour rule is 10 km).
NY_STOP_PORT_KM = 12.0


def ny_speed_drop_approach(shared: Path, seed: int) -> Built:
    """The busiest vessel cruising steadily > 10 kn in open sea (no land within 2 km, >= 12 km from any WPI port) stops
    (0.5 kn) within
    120 s; the busiest other vessel under way at sea that can leave its route (bearing >= 60 deg off its course)
    for FA-1 10 km off its landing over open water steers there at 10 kn, enters the corridor, crosses, rejoins."""
    pos, fa1, line = _ny(shared)
    a = _fast_hosts(pos, 10.0, exclude=(), where=_open_sea(NY_STOP_PORT_KM))[0]
    at_a = _cruising_fix(pos, a, 10.0, _open_sea(NY_STOP_PORT_KM))
    r = inj.inject_speed_drop(pos, a, at_ms=at_a, seed=seed, scenario="ny_speed_drop_approach")
    target = _offshore_point(line.line, NY_APPROACH_KM)
    b, at_b = _approach_start(r.positions, target, exclude=[a])
    r2 = inj.inject_approach(r.positions, b, inj.AssetLine(_offshore_segment(line, NY_APPROACH_KM), line.asset_id,
                                                            line.asset_name), at_ms=at_b, seed=seed,
                             scenario="ny_speed_drop_approach")
    return Built(r2.positions, r.labels + r2.labels, [fa1], {"speed_drop": a, "approach": b, "approach_target": target},
                 sources=[NY_SOURCE])


def _offshore_segment(line: inj.AssetLine, km: float):
    """FA-1 from ``km`` off its landing seawards: approaching the beach itself would be a grounding, not an approach."""
    from shapely.geometry import LineString

    part = line.line.geoms[0] if isinstance(line.line, MultiLineString) else line.line
    return LineString([_offshore_point(part, km), part.coords[-1]])


# ------------------------------------------------------------------ Baltic (relocated real tracks)

US_SOURCE = "ais_noaa_marinecadastre/US_coastal_2020-06-30_trajectories.parquet"


def steady_windows(positions: pa.Table, kn: tuple[float, float], minutes: float = 90.0, max_spread_deg: float = 8.0) -> list[tuple[int, int]]:
    """(mmsi, end time) of real windows of ``minutes`` with median SOG in ``kn`` and a steady course,
    best (smallest course spread) first: the cruising baseline an injected drag needs."""
    found = []
    for m in _busiest(positions, 400):
        tr = inj.track_of(positions, m)
        step = max(len(tr.ts) // 40, 1)
        best = None
        for i in range(0, len(tr.ts), step):
            w = (tr.ts > tr.ts[i] - minutes * 60_000) & (tr.ts <= tr.ts[i])
            if w.sum() < 20 or (tr.ts[i] - tr.ts[w][0]) < 0.9 * minutes * 60_000:
                continue
            med = np.nanmedian(tr.sog[w])
            if not kn[0] <= med <= kn[1]:
                continue
            c = np.deg2rad(tr.cog[w][np.isfinite(tr.cog[w])])
            spread = np.rad2deg(np.sqrt(-2 * np.log(max(np.hypot(np.sin(c).mean(), np.cos(c).mean()), 1e-9))))
            if spread <= max_spread_deg and (best is None or spread < best[0]):
                best = (spread, int(tr.ts[i]))
        if best:
            found.append((best[0], m, best[1]))
    found.sort()
    return [(m, t) for _, m, t in found]


def _relocated_host(us: pa.Table, window: tuple[int, int], to: tuple[float, float], course: float, *, keep_after_min: float = 30.0,
                    keep_before_min: float = 120.0) -> pa.Table:
    m, t_end = window
    return inj.relocate(us, m, anchor_ms=t_end, to=to, course_deg=course, t_from_ms=t_end - keep_before_min * 60_000,
                        t_to_ms=t_end + keep_after_min * 60_000)


def _baltic_traffic(us: pa.Table, windows: list[tuple[int, int]], lane_at: tuple[float, float], course: float, t_ref: int) -> list[pa.Table]:
    """Relocated real neighbours in both directions of a lane, spaced 2-4 km apart, time-aligned to t_ref."""
    out = []
    for k, (m, t_end) in enumerate(windows):
        heading = course if k % 2 == 0 else (course + 180.0) % 360
        lon, lat, _ = GEOD.fwd(lane_at[0], lane_at[1], course + 90.0, 2000.0 * (k + 1) * (1 if k % 2 else -1))
        reloc = inj.relocate(us, m, anchor_ms=t_end, to=(float(lon), float(lat)), course_deg=heading,
                             t_from_ms=t_end - 150 * 60_000, t_to_ms=t_end + 150 * 60_000)
        shift = t_ref - t_end  # align in time with the scenario (documented: the only time shift in the suite)
        ts = reloc["ts"].cast(pa.int64()).to_numpy() + shift
        out.append(reloc.set_column(1, "ts", pa.array(ts).cast(reloc.schema.field("ts").type)).cast(POSITIONS))
    return out


def _baltic_eagle(shared: Path, seed: int, asset_key: str, cross_at: tuple[float, float], course: float, drag_km: float,
                  name: str) -> Built:
    us = load_us_coastal_day(shared)
    windows = steady_windows(us, (7.5, 11.0))
    if len(windows) < 5:
        raise ValueError("US coastal day: fewer than 5 steady cruising windows for host and neighbours")
    asset = load_asset(shared, asset_key)
    line = inj.AssetLine(asset.geometry, asset.asset_id, asset.asset_name)
    back = GEOD.fwd(cross_at[0], cross_at[1], (course + 180) % 360, 3000.0)[:2]  # anchor 3 km before the line
    host = _relocated_host(us, windows[0], (float(back[0]), float(back[1])), course)
    traffic = _baltic_traffic(us, windows[1:5], cross_at, course, windows[0][1])
    pos = sort_positions(pa.concat_tables([host, *traffic]))
    r = inj.inject_anchor_drag(pos, windows[0][0], line, drag_km=drag_km, seed=seed, scenario=name)
    return Built(r.positions, r.labels, [asset], {"host": list(windows[0]), "neighbours": [list(w) for w in windows[1:5]],
                                                   "cross_at": list(cross_at), "course_deg": course, "drag_km": drag_km,
                                                   "profile": "eagle_s"}, sources=[US_SOURCE])


def baltic_eagle_s_estlink2(shared: Path, seed: int) -> Built:
    """Eagle S: westbound down the Gulf of Finland, slows 8.5 -> 6.3 kn-like (x0.74) over 35 min at Estlink 2, drags 80 km."""
    return _baltic_eagle(shared, seed, "estlink-2", (26.048584, 59.92956), 255.0, 80.0, "baltic_eagle_s_estlink2")


def baltic_newnew_polar_bear_balticconnector(shared: Path, seed: int) -> Built:
    """Newnew Polar Bear-like: westbound across Balticconnector off Inkoo-Paldiski, drags 40 km."""
    return _baltic_eagle(shared, seed, "balticconnector", (24.04, 59.72), 262.0, 40.0, "baltic_newnew_polar_bear_balticconnector")


def baltic_yi_peng_3(shared: Path, seed: int) -> Built:
    """Yi Peng 3: northbound drag east of Gotland across BCS East-West Interlink, then C-Lion1, with dips and wobbles."""
    us = load_us_coastal_day(shared)
    windows = steady_windows(us, (7.5, 11.0))
    bcs, clion = load_asset(shared, "bcs-east-west-interlink"), load_asset(shared, "c-lion1")
    x1 = bcs.geometry.interpolate(0.25, normalized=True)
    x2 = (20.0, 57.327)
    az, _, _ = GEOD.inv(x1.x, x1.y, *x2)
    back = GEOD.fwd(x1.x, x1.y, (az + 180) % 360, 6000.0)[:2]
    host = _relocated_host(us, windows[1], (float(back[0]), float(back[1])), float(az % 360))
    traffic = _baltic_traffic(us, windows[2:6], (x1.x, x1.y), float(az % 360), windows[1][1])
    pos = sort_positions(pa.concat_tables([host, *traffic]))
    lines = [inj.AssetLine(a.geometry, a.asset_id, a.asset_name) for a in (bcs, clion)]
    r = inj.inject_anchor_drag_multi(pos, windows[1][0], lines, drag_km=130.0, seed=seed, scenario="baltic_yi_peng_3")
    return Built(r.positions, r.labels, [bcs, clion], {"host": list(windows[1]), "course_deg": float(az % 360),
                                                       "drag_km": 130.0, "profile": "yi_peng_3"}, sources=[US_SOURCE])


SCENARIOS: dict[str, Callable[[Path, int], Built]] = {
    "untouched_ny_week": untouched_ny_week,
    "untouched_solent": untouched_solent,
    "untouched_vestland": untouched_vestland,
    "ny_loitering_and_dark": ny_loitering_and_dark,
    "ny_drift": ny_drift,
    "ny_spoofing": ny_spoofing,
    "ny_rendezvous": ny_rendezvous,
    "ny_identity": ny_identity,
    "ny_speed_drop_approach": ny_speed_drop_approach,
    "baltic_eagle_s_estlink2": baltic_eagle_s_estlink2,
    "baltic_newnew_polar_bear_balticconnector": baltic_newnew_polar_bear_balticconnector,
    "baltic_yi_peng_3": baltic_yi_peng_3,
}


def write_scenario(out: Path, name: str, built: Built, seed: int) -> Path:
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    pq.write_table(built.positions, d / "positions.parquet", compression="zstd")
    if built.static is not None and built.static.num_rows:
        pq.write_table(built.static, d / "static.parquet", compression="zstd")
    with open(d / "labels.jsonl", "w", encoding="utf-8") as fh:
        for lab in sorted(built.labels, key=lambda x: (x["start"], x["mmsi"], x["type"])):
            fh.write(json.dumps(dict(lab, scenario=name)) + "\n")
    with open(d / "assets.geojson", "w", encoding="utf-8") as fh:
        json.dump({"type": "FeatureCollection", "features": [a.to_feature() for a in built.assets]}, fh)
    with open(d / "scenario.toml", "w", encoding="utf-8") as fh:
        fh.write(f'name = "{name}"\nseed = {seed}\nrows = {built.positions.num_rows}\nlabels = {len(built.labels)}\n')
        fh.write(f"sources = {json.dumps(built.sources)}\n")
        fh.write(f"assets = {json.dumps([a.asset_name for a in built.assets])}\n")
        fh.write(f"asset_ids = {json.dumps([a.asset_id for a in built.assets])}\n")
        fh.write(f'construction = {json.dumps((SCENARIOS[name].__doc__ or "").strip())}\n')
        fh.write("\n[params]\n")
        for k, v in built.params.items():
            fh.write(f"{k} = {json.dumps(v)}\n")
    return d


def build_suite(shared_data_dir: Path | str, out_dir: Path | str, *, seed: int = DEFAULT_SEED,
                only: Iterable[str] | None = None) -> list[Path]:
    """Build every scenario (or those named in ``only``) under ``out_dir``; returns their directories."""
    shared, out = Path(shared_data_dir), Path(out_dir)
    names = list(only) if only is not None else list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise KeyError(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    return [write_scenario(out, n, SCENARIOS[n](shared, seed), seed) for n in names]
