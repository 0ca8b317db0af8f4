"""Inject labelled behaviours into real AIS tracks, physically plausibly.

Every function takes a POSITIONS table holding real traffic, changes the track of one (or two)
vessels, and returns ``Injected(positions, static, labels)``. Injected fixes are dead-reckoned
from speed/course profiles (see :mod:`.kinematics`), reported at the ITU cadence for the speed
(or the host archive's thinner cadence), carry GNSS noise of a few metres and AIS-rounded
SOG/COG, and join the real track continuously: an excursion starts at the host's real position
and returns to a later real fix at a plausible transit speed. Labels are the intervals of the
injected behaviour, in the JSON shape of ``labels.jsonl``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import nearest_points

from seawarden.schema import POSITIONS, STATIC

from .kinematics import (
    GEOD,
    KN_TO_MS,
    Profile,
    add_gnss_noise,
    angle_diff_deg,
    from_local,
    integrate,
    report_times,
    to_local,
)
from .real_data import positions_table, sort_positions
from .times import iso_ms

#: Fastest a merchant ship plausibly sails; implied speeds above it are "impossible".
MAX_PLAUSIBLE_KN = 40.0
#: Seconds over which a ship changes speed between legs.
RAMP_S = 120.0
#: Seconds a ship takes to shed transit speed before it stops to loiter or meet: about a nautical mile at
#: 10 kn without going astern. A 120-s ramp from 10 kn to < 1 kn would be a crash stop (a speed_drop).
SLOW_DOWN_S = 600.0
#: AIS nav status codes used by injections.
NAV_UNDERWAY, NAV_AT_ANCHOR = 0, 1


class Injected(NamedTuple):
    positions: pa.Table
    static: pa.Table | None
    labels: list[dict]


@dataclass(frozen=True)
class AssetLine:
    """A protected asset as the injector sees it: a (Multi)LineString in lon/lat plus its id/name for labels."""

    line: LineString | MultiLineString
    asset_id: str | None = None
    asset_name: str | None = None


@dataclass(frozen=True)
class Realism:
    """How injected fixes are reported: class, archive thinning, and noise levels."""

    ais_class: str = "A"
    min_interval_s: float | None = None  # None: the host track's median reporting interval
    gnss_sigma_m: float = 5.0
    sog_sigma_kn: float = 0.1
    cog_sigma_deg: float = 1.0
    heading_sigma_deg: float = 2.0


@dataclass
class _Track:
    mmsi: int
    ts: np.ndarray  # int64 ms
    lon: np.ndarray
    lat: np.ndarray
    sog: np.ndarray  # float, NaN = null
    cog: np.ndarray

    def position_at(self, t_ms: float) -> tuple[float, float]:
        i = int(np.searchsorted(self.ts, t_ms))
        if i <= 0:
            return float(self.lon[0]), float(self.lat[0])
        if i >= len(self.ts):
            return float(self.lon[-1]), float(self.lat[-1])
        f = (t_ms - self.ts[i - 1]) / max(self.ts[i] - self.ts[i - 1], 1)
        return (float(self.lon[i - 1] + f * (self.lon[i] - self.lon[i - 1])),
                float(self.lat[i - 1] + f * (self.lat[i] - self.lat[i - 1])))

    def cadence_s(self) -> float:
        dt = np.diff(self.ts) / 1000.0
        dt = dt[(dt > 0) & (dt < 1800)]
        return float(np.median(dt)) if dt.size else 10.0

    def cruise_kn(self, t_end_ms: float, window_s: float = 1800.0) -> float:
        m = (self.ts >= t_end_ms - window_s * 1000) & (self.ts <= t_end_ms) & np.isfinite(self.sog)
        if not m.any():
            raise ValueError(f"MMSI {self.mmsi}: no SOG in the {window_s / 60:.0f} min before the injection")
        return float(np.median(self.sog[m]))

    def course_deg(self, t_end_ms: float, window_s: float = 600.0) -> float:
        m = (self.ts >= t_end_ms - window_s * 1000) & (self.ts <= t_end_ms) & np.isfinite(self.cog)
        if not m.any():
            raise ValueError(f"MMSI {self.mmsi}: no COG in the {window_s / 60:.0f} min before the injection")
        c = np.deg2rad(self.cog[m])
        return float(np.mod(np.rad2deg(np.arctan2(np.sin(c).mean(), np.cos(c).mean())), 360.0))


def track_of(positions: pa.Table, mmsi: int) -> _Track:
    """The time-ordered real track of one MMSI (error if absent)."""
    sub = positions.filter(pc.equal(positions["mmsi"], pa.scalar(mmsi, pa.uint32())))
    if sub.num_rows == 0:
        raise ValueError(f"MMSI {mmsi} has no positions in the table")
    sub = sub.sort_by("ts")
    ok = pc.and_(pc.is_valid(sub["lat"]), pc.is_valid(sub["lon"]))
    sub = sub.filter(ok)
    return _Track(
        mmsi=mmsi,
        ts=sub["ts"].cast(pa.int64()).to_numpy(),
        lon=sub["lon"].to_numpy(zero_copy_only=False),
        lat=sub["lat"].to_numpy(zero_copy_only=False),
        sog=sub["sog"].cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False),
        cog=sub["cog"].cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False),
    )


# --------------------------------------------------------------------------------------------
# Synthesis of fixes
# --------------------------------------------------------------------------------------------


@dataclass
class _Leg:
    profile: Profile
    heading_offset_deg: np.ndarray | None = None  # per knot, heading = cog + offset (drift)
    nav_status: int = NAV_UNDERWAY
    anchored_cadence: bool = False


@dataclass
class _Synth:
    """Fixes built leg after leg; ``lon/lat`` are the noise-free states carried between legs."""

    mmsi: int
    t0_ms: int
    lon0: float
    lat0: float
    rng: np.random.Generator
    realism: Realism
    cadence_s: float
    t_ms: list[np.ndarray] = field(default_factory=list)
    cols: dict[str, list[np.ndarray]] = field(default_factory=lambda: {k: [] for k in ("lon", "lat", "sog", "cog", "heading", "nav")})

    def __post_init__(self) -> None:
        self.lon, self.lat, self.now_ms = self.lon0, self.lat0, float(self.t0_ms)

    @property
    def speed_kn(self) -> float | None:
        """Speed at the end of the last leg (None before the first)."""
        return float(self.cols["sog"][-1][-1]) if self.cols["sog"] else None

    def add(self, leg: _Leg) -> None:
        """Append a leg. Speed is continuous: a leg starting at another speed than the previous one
        ended with gets a ramp over its first ``RAMP_S`` seconds (ships do not jump in speed)."""
        p = leg.profile
        prev = self.speed_kn
        if prev is not None and abs(prev - p.sog_kn[0]) > 1e-6:
            ramp = min(RAMP_S, (p.t_s[1] - p.t_s[0]) / 2)
            t = np.concatenate([[p.t_s[0], p.t_s[0] + ramp], p.t_s[1:]])
            sog_at_ramp, cog_at_ramp = p.at(np.array([p.t_s[0] + ramp]))
            p = Profile(t, np.concatenate([[prev], sog_at_ramp, p.sog_kn[1:]]),
                        np.concatenate([[p.cog_deg[0]], cog_at_ramp, p.cog_deg[1:]]))
            if leg.heading_offset_deg is not None:
                off = np.interp(t, leg.profile.t_s, leg.heading_offset_deg)
                leg = _Leg(p, off, leg.nav_status, leg.anchored_cadence)
        rel = report_times(p.duration_s, lambda t: p.at(p.t_s[0] + t)[0], self.rng, ais_class=self.realism.ais_class,
                           min_interval_s=self.cadence_s, anchored=leg.anchored_cadence)
        if not self.t_ms:
            keep = rel
        else:
            keep = rel[1:]  # the leg's first instant is the previous leg's last fix
        sog, cog = p.at(p.t_s[0] + rel)
        lon, lat = integrate(self.lon, self.lat, rel, sog, cog)
        if leg.heading_offset_deg is not None:
            heading = cog + np.interp(p.t_s[0] + rel, p.t_s, leg.heading_offset_deg)
        else:
            heading = cog.copy()
        k0 = len(rel) - len(keep)
        self.t_ms.append(self.now_ms + keep * 1000.0)
        self.cols["lon"].append(lon[k0:])
        self.cols["lat"].append(lat[k0:])
        self.cols["sog"].append(sog[k0:])
        self.cols["cog"].append(cog[k0:])
        self.cols["heading"].append(heading[k0:])
        self.cols["nav"].append(np.full(len(keep), leg.nav_status, dtype=float))
        self.lon, self.lat = float(lon[-1]), float(lat[-1])
        self.now_ms += p.duration_s * 1000.0

    def goto(self, lon: float, lat: float, speed_kn: float, **kw) -> None:
        """A straight geodesic leg to (lon, lat) at ``speed_kn`` (after the speed ramp)."""
        az, _, dist = GEOD.inv(self.lon, self.lat, lon, lat)
        prev = self.speed_kn if self.speed_kn is not None else speed_kn
        ramp = min(RAMP_S, dist / (speed_kn * KN_TO_MS) / 2)
        # distance = v * dur - (v - prev) * ramp / 2  (the ramp covers less ground at a lower speed)
        dur = max((dist / KN_TO_MS + (speed_kn - prev) * ramp / 2) / speed_kn, 2.0 * ramp, 1.0)
        self.add(_Leg(Profile(np.array([0.0, dur]), np.array([speed_kn, speed_kn]), np.array([az % 360, az % 360])), **kw))

    def goto_by(self, lon: float, lat: float, arrive_ms: float, *, end_kn: float | None = None, slow_s: float = 0.0,
                **kw) -> float:
        """A straight leg arriving at (lon, lat) exactly at arrive_ms; with ``end_kn`` the speed falls linearly to it
        over the last ``slow_s`` seconds. Returns the cruising speed the leg needs."""
        az, _, dist = GEOD.inv(self.lon, self.lat, lon, lat)
        dur = (arrive_ms - self.now_ms) / 1000.0
        if dur <= 1.0:
            raise ValueError(f"MMSI {self.mmsi}: no time left to rejoin the real track")
        prev = self.speed_kn
        slow = min(slow_s, dur / 2) if end_kn is not None else 0.0
        end = end_kn if end_kn is not None else 0.0
        ramp = min(RAMP_S, (dur - slow) / 2) if prev is not None else 0.0
        # distance = prev * ramp / 2 + v * (dur - slow / 2 - ramp / 2) + end * slow / 2  (ramp in, slow-down out)
        speed = max((dist / KN_TO_MS - (prev or 0.0) * ramp / 2 - end * slow / 2) / (dur - slow / 2 - ramp / 2), 0.0)
        if slow > 0:
            t, v = np.array([0.0, dur - slow, dur]), np.array([speed, speed, end])
        else:
            t, v = np.array([0.0, dur]), np.array([speed, speed])
        self.add(_Leg(Profile(t, v, np.full(t.size, az % 360)), **kw))
        return speed

    def arrive(self, lon: float, lat: float, transit_kn: float, end_kn: float, slow_s: float = SLOW_DOWN_S) -> None:
        """Transit to (lon, lat) and shed speed to ``end_kn`` over the last ``slow_s`` seconds of the approach."""
        back, _, dist = GEOD.inv(lon, lat, self.lon, self.lat)
        d_slow = min((transit_kn + end_kn) / 2 * KN_TO_MS * slow_s, 0.8 * dist)
        before = GEOD.fwd(lon, lat, back, d_slow)[:2]
        self.goto(float(before[0]), float(before[1]), transit_kn)
        az, _, _ = GEOD.inv(self.lon, self.lat, lon, lat)
        slow = d_slow / ((transit_kn + end_kn) / 2 * KN_TO_MS)
        self.add(_Leg(Profile(np.array([0.0, slow]), np.array([transit_kn, end_kn]), np.array([az % 360, az % 360]))))

    def table(self, *, include_last: bool = True) -> pa.Table:
        """The fixes as POSITIONS rows, with GNSS noise and AIS rounding applied."""
        t = np.concatenate(self.t_ms)
        c = {k: np.concatenate(v) for k, v in self.cols.items()}
        if not include_last:
            t, c = t[:-1], {k: v[:-1] for k, v in c.items()}
        r = self.realism
        lon, lat = add_gnss_noise(c["lon"], c["lat"], self.rng, r.gnss_sigma_m)
        sog = np.round(np.clip(c["sog"] + self.rng.normal(0, r.sog_sigma_kn, len(t)), 0, 102.2), 1)
        cog = np.round(np.mod(c["cog"] + self.rng.normal(0, r.cog_sigma_deg, len(t)), 360.0), 1)
        cog = np.where(cog >= 360.0, 0.0, cog)
        heading = np.mod(np.round(c["heading"] + self.rng.normal(0, r.heading_sigma_deg, len(t))), 360.0)
        return positions_table(self.mmsi, np.round(t).astype(np.int64), lat, lon, sog=sog, cog=cog, heading=heading,
                               nav_status=c["nav"], msg_type=1 if r.ais_class.upper() == "A" else 18, source="injected")


def _replace_rows(positions: pa.Table, mmsi: int, t_from_ms: float, t_to_ms: float, new: pa.Table | None) -> pa.Table:
    """Drop the MMSI's rows with t_from <= ts < t_to and add ``new`` (time order restored)."""
    ts = positions["ts"].cast(pa.int64())
    drop = pc.and_(pc.equal(positions["mmsi"], pa.scalar(mmsi, pa.uint32())),
                   pc.and_(pc.greater_equal(ts, _clamp_ms(t_from_ms)), pc.less(ts, _clamp_ms(t_to_ms))))
    kept = positions.filter(pc.invert(drop))
    if new is not None and new.num_rows:
        kept = pa.concat_tables([kept.cast(POSITIONS), new.cast(POSITIONS)])
    return sort_positions(kept)


def _clamp_ms(t_ms: float) -> int:
    return int(np.clip(t_ms, -(2**62), 2**62))


def _label(scenario: str, label_type: str, mmsi: int, start_ms: float, end_ms: float, asset: AssetLine | None,
           **notes) -> dict:
    return {
        "scenario": scenario,
        "type": label_type,
        "mmsi": int(mmsi),
        "start": iso_ms(start_ms),
        "end": iso_ms(end_ms),
        "asset_id": asset.asset_id if asset else None,
        "asset_name": asset.asset_name if asset else None,
        "notes": {k: _plain(v) for k, v in notes.items()},
    }


def _plain(value):
    """NumPy scalars -> Python numbers, so labels serialise as JSON."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _synth_for(track: _Track, t0_ms: float, rng: np.random.Generator, realism: Realism) -> _Synth:
    lon, lat = track.position_at(t0_ms)
    cadence = realism.min_interval_s if realism.min_interval_s is not None else track.cadence_s()
    return _Synth(track.mmsi, int(t0_ms), lon, lat, rng, realism, cadence)


def _rejoin_fix(track: _Track, after_ms: float, lon: float, lat: float, speed_kn: float) -> float:
    """First real fix the vessel can reach from (lon, lat) by ``after_ms`` at ``speed_kn``."""
    later = np.nonzero(track.ts > after_ms)[0]
    for i in later:
        _, _, dist = GEOD.inv(lon, lat, track.lon[i], track.lat[i])
        if after_ms + dist / (speed_kn * KN_TO_MS) * 1000.0 <= track.ts[i]:
            return float(track.ts[i])
    raise ValueError(f"MMSI {track.mmsi}: the real track ends before the vessel can rejoin it")


#: Spare time on the way back above which a ship sails back at transit speed and waits there (stopped) for its
#: real track, instead of creeping for hours (a 4-h creep at 1.5 kn along a cable made a loitering that was never
#: injected).
MAX_REJOIN_SLACK_S = 1800.0


def _rejoin(syn: _Synth, track: _Track, speed_kn: float, **kw) -> float:
    """End an excursion: a straight leg to the first real fix reachable at ``speed_kn``; returns its time."""
    rejoin = _rejoin_fix(track, syn.now_ms, syn.lon, syn.lat, speed_kn)
    i = int(np.nonzero(track.ts == rejoin)[0][0])
    lon, lat = float(track.lon[i]), float(track.lat[i])
    _, _, dist = GEOD.inv(syn.lon, syn.lat, lon, lat)
    slack = (rejoin - syn.now_ms) / 1000.0 - dist / (speed_kn * KN_TO_MS) - SLOW_DOWN_S / 2
    if slack > MAX_REJOIN_SLACK_S and dist > 1000.0:
        syn.arrive(lon, lat, speed_kn, 0.0)
        hold = (rejoin - syn.now_ms) / 1000.0
        course = float(syn.cols["cog"][-1][-1])
        syn.add(_Leg(Profile(np.array([0.0, hold]), np.zeros(2), np.full(2, course)), **kw))
    else:
        syn.goto_by(lon, lat, rejoin, **kw)
    return rejoin


def _local_point(asset: AssetLine, lon: float, lat: float) -> tuple[float, float]:
    """Nearest point of the asset to (lon, lat), computed in metres around that position."""
    parts = asset.line.geoms if isinstance(asset.line, MultiLineString) else [asset.line]
    best, best_d = None, np.inf
    for part in parts:
        xy = np.asarray(part.coords)
        x, y = to_local(xy[:, 0], xy[:, 1], lon, lat)
        p, _ = nearest_points(LineString(np.column_stack([x, y])), Point(0.0, 0.0))
        d = float(np.hypot(p.x, p.y))
        if d < best_d:
            best, best_d = from_local(np.array([p.x]), np.array([p.y]), lon, lat), d
    assert best is not None
    return float(best[0][0]), float(best[1][0])


# --------------------------------------------------------------------------------------------
# Behaviours
# --------------------------------------------------------------------------------------------


def inject_loitering(positions: pa.Table, mmsi: int, asset: AssetLine, *, start_ms: float, hours: float = 4.0,
                     at: tuple[float, float] | None = None, transit_kn: float = 10.0,
                     loiter_kn: tuple[float, float] = (0.4, 1.8), radius_m: float = 1500.0,
                     seed: int | np.random.Generator | None = 0, scenario: str = "",
                     realism: Realism = Realism()) -> Injected:
    """The vessel leaves its real track, slows down over the last mile (``SLOW_DOWN_S``), zig-zags at < 2 kn over
    the asset for ``hours``, and rejoins.

    Legs of 8-20 min with turns of 60-150 degrees stay within ``radius_m`` of a point on the
    asset (the nearest one to where the excursion starts, unless ``at`` is given).
    """
    rng = _rng(seed)
    track = track_of(positions, mmsi)
    syn = _synth_for(track, start_ms, rng, realism)
    centre = at or _local_point(asset, syn.lon, syn.lat)
    syn.arrive(*centre, transit_kn, float(np.mean(loiter_kn)))
    loiter_start = syn.now_ms  # slow once the ship has shed its transit speed
    course = float(rng.uniform(0, 360))
    remaining = hours * 3600.0
    while remaining > 1.0:
        dur = min(float(rng.uniform(8, 20)) * 60.0, remaining)
        x, y = to_local(np.array([syn.lon]), np.array([syn.lat]), *centre)
        if np.hypot(x[0], y[0]) > 0.5 * radius_m:
            home = np.rad2deg(np.arctan2(-x[0], -y[0]))
            course = float(np.mod(home + rng.uniform(-50, 50), 360))
        else:
            course = float(np.mod(course + rng.choice([-1, 1]) * rng.uniform(60, 150), 360))
        v = float(rng.uniform(*loiter_kn))
        v = min(v, radius_m * 0.5 / dur / KN_TO_MS)
        turn = min(60.0, dur / 4)
        prev = syn.cols["cog"][-1][-1] if syn.cols["cog"] else course
        syn.add(_Leg(Profile(np.array([0.0, turn, dur]), np.array([v, v, v]), np.array([prev, course, course]))))
        remaining -= dur
    loiter_end = syn.now_ms
    rejoin = _rejoin(syn, track, transit_kn)
    out = _replace_rows(positions, mmsi, start_ms, rejoin + 1, syn.table(include_last=False))
    return Injected(out, None, [_label(scenario, "loitering", mmsi, loiter_start, loiter_end, asset,
                                       centre_lon=round(centre[0], 6), centre_lat=round(centre[1], 6),
                                       speed_kn=list(loiter_kn), radius_m=radius_m)])


def inject_drift(positions: pa.Table, mmsi: int, *, start_ms: float, hours: float = 3.0, drift_kn: float = 0.9,
                 set_deg: float | None = None, divergence_deg: tuple[float, float] = (50.0, 120.0),
                 zigzag_deg: float = 25.0, zigzag_period_min: float = 12.0, at_anchor_status: bool = True,
                 asset: AssetLine | None = None, transit_kn: float = 6.0,
                 seed: int | np.random.Generator | None = 0, scenario: str = "", realism: Realism = Realism()) -> Injected:
    """The vessel drifts with the current: low SOG, COG set by the current, heading swinging away from COG.

    Heading = COG + a divergence that grows from ``divergence_deg[0]`` to ``[1]`` plus a
    sinusoidal zig-zag (a ship yawing on a dragging anchor); nav status stays "at anchor" when
    ``at_anchor_status`` (it rarely says otherwise). Afterwards the vessel steams back to its
    real track.
    """
    rng = _rng(seed)
    track = track_of(positions, mmsi)
    syn = _synth_for(track, start_ms, rng, realism)
    set_deg = float(rng.uniform(0, 360)) if set_deg is None else set_deg
    dur = hours * 3600.0
    knots = np.linspace(0.0, dur, max(int(dur / 60.0), 2))
    sog = np.clip(drift_kn + rng.normal(0, 0.1, knots.size), 0.3, 2.5)
    cog = set_deg + np.cumsum(rng.normal(0, 0.5, knots.size))
    offset = np.linspace(*divergence_deg, knots.size) + zigzag_deg * np.sin(2 * np.pi * knots / (zigzag_period_min * 60))
    offset *= rng.choice([-1, 1])
    nav = NAV_AT_ANCHOR if at_anchor_status else NAV_UNDERWAY
    syn.add(_Leg(Profile(knots, sog, cog), heading_offset_deg=offset, nav_status=nav))
    drift_end = syn.now_ms
    rejoin = _rejoin(syn, track, transit_kn, nav_status=nav)
    out = _replace_rows(positions, mmsi, start_ms, rejoin + 1, syn.table(include_last=False))
    return Injected(out, None, [_label(scenario, "drift", mmsi, start_ms, drift_end, asset, set_deg=round(set_deg, 1),
                                       drift_kn=drift_kn, divergence_deg=list(divergence_deg), zigzag_deg=zigzag_deg)])


def inject_ais_gap(positions: pa.Table, mmsi: int, *, start_ms: float, hours: float,
                   reappear_shift_m: tuple[float, float] | None = None, asset: AssetLine | None = None,
                   scenario: str = "") -> Injected:
    """Silence the vessel for ``hours`` from ``start_ms``; every other vessel keeps transmitting.

    With ``reappear_shift_m`` = (east, north) the track after the gap is translated, so the
    vessel reappears elsewhere; if the implied speed across the gap exceeds 40 kn a
    ``position_jump`` label is added at the reappearance.

    The ``ais_gap`` label is added only for a silence near ``asset``: ais_gap watches silences
    near protected assets (a silence far from every asset is routine AIS coverage, not a threat
    to the seabed), so a silence given without an asset expects no ais_gap event; what makes it
    suspicious is the reappearance, which position_jump reports with the silence as evidence.
    """
    track = track_of(positions, mmsi)
    end_ms = start_ms + hours * 3_600_000
    before = track.ts < start_ms
    after = track.ts >= end_ms
    if not before.any() or not after.any():
        raise ValueError(f"MMSI {mmsi}: the gap must have real fixes on both sides")
    out = _replace_rows(positions, mmsi, start_ms, end_ms, None)
    i_last, i_next = np.nonzero(before)[0][-1], np.nonzero(after)[0][0]
    re_lon, re_lat = track.lon[i_next], track.lat[i_next]
    if reappear_shift_m is not None:
        tail = track_of(out, mmsi)
        moved = tail.ts >= end_ms
        x, y = to_local(tail.lon[moved], tail.lat[moved], float(re_lon), float(re_lat))
        lon, lat = from_local(x + reappear_shift_m[0], y + reappear_shift_m[1], float(re_lon), float(re_lat))
        out = _replace_rows(out, mmsi, end_ms, np.inf, None)
        orig = positions.filter(pc.and_(pc.equal(positions["mmsi"], pa.scalar(mmsi, pa.uint32())),
                                        pc.greater_equal(positions["ts"].cast(pa.int64()), int(end_ms))))
        orig = orig.sort_by("ts").set_column(2, "lat", pa.array(lat, pa.float64())).set_column(3, "lon", pa.array(lon, pa.float64()))
        out = sort_positions(pa.concat_tables([out, orig]))
        re_lon, re_lat = lon[0], lat[0]
    _, _, dist = GEOD.inv(track.lon[i_last], track.lat[i_last], re_lon, re_lat)
    gap_s = (track.ts[i_next] - track.ts[i_last]) / 1000.0
    implied = dist / gap_s / KN_TO_MS
    labels = []
    if asset is not None:
        labels.append(_label(scenario, "ais_gap", mmsi, track.ts[i_last], track.ts[i_next], asset,
                             gap_h=round(gap_s / 3600, 3), reappear_km=round(dist / 1000, 3),
                             implied_speed_kn=round(implied, 2)))
    if implied > MAX_PLAUSIBLE_KN:
        labels.append(_label(scenario, "position_jump", mmsi, track.ts[i_next], track.ts[i_next], asset,
                             kind="impossible_reappearance", gap_h=round(gap_s / 3600, 3),
                             reappear_km=round(dist / 1000, 3), implied_speed_kn=round(implied, 2)))
    return Injected(out, None, labels)


def inject_teleport(positions: pa.Table, mmsi: int, *, at_ms: float, jump_km: float = 40.0, bearing_deg: float = 90.0,
                    n_fixes: int = 3, to: tuple[float, float] | None = None, kind: str = "teleport",
                    scenario: str = "") -> Injected:
    """Spoofed fixes: ``n_fixes`` consecutive real fixes from ``at_ms`` are moved ``jump_km`` away (or to ``to``,
    e.g. a point on land) and the track then resumes where it really was: two impossible jumps."""
    track = track_of(positions, mmsi)
    idx = np.nonzero(track.ts >= at_ms)[0][:n_fixes]
    if idx.size < n_fixes or idx[0] == 0:
        raise ValueError(f"MMSI {mmsi}: needs {n_fixes} fixes after the jump time and one before")
    if to is None:
        lon, lat, _ = GEOD.fwd(track.lon[idx], track.lat[idx], np.full(idx.size, bearing_deg), np.full(idx.size, jump_km * 1000))
    else:
        lon, lat = np.full(idx.size, to[0]), np.full(idx.size, to[1])
    sub = positions.filter(pc.equal(positions["mmsi"], pa.scalar(mmsi, pa.uint32()))).sort_by("ts")
    sub = sub.filter(pc.is_in(sub["ts"].cast(pa.int64()), pa.array(track.ts[idx])))
    sub = sub.set_column(2, "lat", pa.array(np.asarray(lat, float))).set_column(3, "lon", pa.array(np.asarray(lon, float)))
    out = _replace_rows(positions, mmsi, track.ts[idx[0]], track.ts[idx[-1]] + 1, sub)
    _, _, d = GEOD.inv(track.lon[idx[0] - 1], track.lat[idx[0] - 1], lon[0], lat[0])
    implied = d / ((track.ts[idx[0]] - track.ts[idx[0] - 1]) / 1000.0) / KN_TO_MS
    return Injected(out, None, [_label(scenario, "position_jump", mmsi, track.ts[idx[0]], track.ts[idx[-1]], None,
                                       kind=kind, jump_km=round(d / 1000, 3), implied_speed_kn=round(implied, 1))])


def inject_twin(positions: pa.Table, victim: int, donor: int, *, start_ms: float, end_ms: float,
                scenario: str = "") -> Injected:
    """Two ships on one MMSI: the donor vessel transmits the victim's MMSI during [start, end].

    The donor's own fixes in that window are relabelled (it no longer transmits as itself), so
    the victim's MMSI shows two interleaved tracks at once.
    """
    d = positions.filter(pc.equal(positions["mmsi"], pa.scalar(donor, pa.uint32())))
    ts = d["ts"].cast(pa.int64())
    window = d.filter(pc.and_(pc.greater_equal(ts, int(start_ms)), pc.less(ts, int(end_ms))))
    if window.num_rows == 0:
        raise ValueError(f"donor MMSI {donor} has no fixes in the twin window")
    if track_of(positions, victim).ts.size == 0:
        raise ValueError(f"victim MMSI {victim} has no fixes")
    moved = window.set_column(0, "mmsi", pa.array(np.full(window.num_rows, victim, np.uint32))).cast(POSITIONS)
    out = _replace_rows(positions, donor, start_ms, end_ms, None)
    out = sort_positions(pa.concat_tables([out, moved]))
    t = window["ts"].cast(pa.int64()).to_numpy()
    return Injected(out, None, [_label(scenario, "position_jump", victim, t.min(), t.max(), None, kind="two_ships_one_mmsi",
                                       donor_mmsi=int(donor))])


def inject_rendezvous(positions: pa.Table, mmsi_a: int, mmsi_b: int, *, start_ms: float, meet_at: tuple[float, float],
                      hours: float = 1.5, transit_kn: float = 10.0, drift_kn: float = 0.8, separation_m: float = 60.0,
                      seed: int | np.random.Generator | None = 0, scenario: str = "",
                      realism: Realism = Realism()) -> Injected:
    """Two real vessels leave their tracks, slow down over the last mile (``SLOW_DOWN_S``), lie alongside at
    ``meet_at`` for ``hours`` at < 2 kn, and rejoin.

    Vessel B keeps station ``separation_m`` abeam of A (both drift together); each reports at its own cadence.
    """
    rng = _rng(seed)
    ta, tb = track_of(positions, mmsi_a), track_of(positions, mmsi_b)
    sa, sb = _synth_for(ta, start_ms, rng, realism), _synth_for(tb, start_ms, rng, realism)
    _, _, da = GEOD.inv(sa.lon, sa.lat, *meet_at)
    _, _, db = GEOD.inv(sb.lon, sb.lat, *meet_at)
    arrive = start_ms + (max(da, db) / (transit_kn * KN_TO_MS) + SLOW_DOWN_S / 2) * 1000.0 + 60_000
    set_deg = float(rng.uniform(0, 360))
    b_at = GEOD.fwd(meet_at[0], meet_at[1], set_deg + 90.0, separation_m)[:2]
    sa.goto_by(*meet_at, arrive, end_kn=drift_kn, slow_s=SLOW_DOWN_S)
    sb.goto_by(float(b_at[0]), float(b_at[1]), arrive, end_kn=drift_kn, slow_s=SLOW_DOWN_S)
    dur = hours * 3600.0
    knots = np.linspace(0.0, dur, max(int(dur / 300), 2))
    sog = np.clip(drift_kn + rng.normal(0, 0.1, knots.size), 0.2, 1.8)
    cog = set_deg + np.cumsum(rng.normal(0, 1.0, knots.size))
    for s in (sa, sb):  # same drift profile for both: they stay together
        s.add(_Leg(Profile(knots, sog, cog), heading_offset_deg=np.full(knots.size, 30.0)))
    meet_end = sa.now_ms
    out = positions
    for s, tr in ((sa, ta), (sb, tb)):
        rejoin = _rejoin(s, tr, transit_kn)
        out = _replace_rows(out, tr.mmsi, start_ms, rejoin + 1, s.table(include_last=False))
    notes = dict(meet_lon=round(meet_at[0], 6), meet_lat=round(meet_at[1], 6), separation_m=separation_m)
    return Injected(out, None, [
        _label(scenario, "rendezvous", mmsi_a, arrive, meet_end, None, partner_mmsi=int(mmsi_b), **notes),
        _label(scenario, "rendezvous", mmsi_b, arrive, meet_end, None, partner_mmsi=int(mmsi_a), **notes),
    ])


def inject_speed_drop(positions: pa.Table, mmsi: int, *, at_ms: float, to_kn: float = 0.5, decel_s: float = 120.0,
                      hold_min: float = 20.0, asset: AssetLine | None = None, seed: int | np.random.Generator | None = 0,
                      scenario: str = "", realism: Realism = Realism()) -> Injected:
    """Sudden stop on the vessel's own course: cruise -> ``to_kn`` (default 0.5 kn: stopped and drifting, below
    [AA]'s 1-kn low mark) within ``decel_s`` (a crash stop), held for ``hold_min``, then back to cruise and on to
    the real track."""
    rng = _rng(seed)
    track = track_of(positions, mmsi)
    cruise = track.cruise_kn(at_ms, 600.0)
    if cruise < to_kn + 3.0:
        raise ValueError(f"MMSI {mmsi}: cruising at {cruise:.1f} kn, too slow for a drop to {to_kn} kn")
    course = track.course_deg(at_ms)
    syn = _synth_for(track, at_ms, rng, realism)
    hold = hold_min * 60.0
    t = np.array([0.0, decel_s, decel_s + hold, decel_s + hold + decel_s])
    syn.add(_Leg(Profile(t, np.array([cruise, to_kn, to_kn, cruise]), np.full(4, course))))
    rejoin = _rejoin(syn, track, max(cruise, 8.0) * 1.3)
    out = _replace_rows(positions, mmsi, at_ms, rejoin + 1, syn.table(include_last=False))
    return Injected(out, None, [_label(scenario, "speed_drop", mmsi, at_ms, at_ms + (decel_s + hold) * 1000, asset,
                                       from_kn=round(cruise, 2), to_kn=to_kn, decel_s=decel_s)])


def inject_approach(positions: pa.Table, mmsi: int, asset: AssetLine, *, at_ms: float, speed_kn: float = 10.0,
                    corridor_m: float = 1000.0, seed: int | np.random.Generator | None = 0, scenario: str = "",
                    realism: Realism = Realism()) -> Injected:
    """From ``at_ms`` the vessel steers straight for the nearest point of the asset, enters the corridor,
    crosses the line, and returns to its real track. Label: [course change, corridor entry]."""
    rng = _rng(seed)
    track = track_of(positions, mmsi)
    syn = _synth_for(track, at_ms, rng, realism)
    target = _local_point(asset, syn.lon, syn.lat)
    az, _, dist = GEOD.inv(syn.lon, syn.lat, *target)
    if dist <= corridor_m * 2:
        raise ValueError(f"MMSI {mmsi} is already within {dist:.0f} m of the asset")
    entry_ms = at_ms + (dist - corridor_m) / (speed_kn * KN_TO_MS) * 1000.0
    beyond = GEOD.fwd(target[0], target[1], az, corridor_m * 1.5)[:2]
    syn.goto(*target, speed_kn)
    syn.goto(float(beyond[0]), float(beyond[1]), speed_kn)
    rejoin = _rejoin(syn, track, speed_kn)
    out = _replace_rows(positions, mmsi, at_ms, rejoin + 1, syn.table(include_last=False))
    return Injected(out, None, [_label(scenario, "approach", mmsi, at_ms, entry_ms, asset, speed_kn=speed_kn,
                                       corridor_m=corridor_m, distance_km=round(dist / 1000, 3))])


# --------------------------------------------------------------------------------------------
# Anchor drag
# --------------------------------------------------------------------------------------------


def crossings(lon: np.ndarray, lat: np.ndarray, ts_ms: np.ndarray, line: LineString | MultiLineString) -> np.ndarray:
    """Times (ms) at which a track crosses a line (segment intersections, interpolated)."""
    if len(lon) < 2:
        return np.empty(0)
    segs = shapely.linestrings(np.stack([np.column_stack([lon[:-1], lat[:-1]]), np.column_stack([lon[1:], lat[1:]])], axis=1))
    hit = np.nonzero(shapely.intersects(segs, line))[0]
    out = []
    for i in hit:
        inter = shapely.intersection(segs[i], line)
        pts = shapely.get_coordinates(inter)
        if not len(pts):
            continue
        seg_len = np.hypot(lon[i + 1] - lon[i], lat[i + 1] - lat[i])
        f = np.hypot(pts[0, 0] - lon[i], pts[0, 1] - lat[i]) / seg_len if seg_len > 0 else 0.0
        out.append(ts_ms[i] + f * (ts_ms[i + 1] - ts_ms[i]))
    return np.asarray(out)


EAGLE_S = dict(slow_ratio=6.3 / 8.5, ramp_min=35.0)


def inject_anchor_drag(positions: pa.Table, mmsi: int, asset: AssetLine, *, drag_km: float = 60.0,
                       onset_before_crossing_min: float = 4.0, cruise_kn: float | None = None,
                       slow_ratio: float = EAGLE_S["slow_ratio"], ramp_min: float = EAGLE_S["ramp_min"],
                       after_min: float = 30.0, seed: int | np.random.Generator | None = 0, scenario: str = "",
                       realism: Realism = Realism()) -> Injected:
    """Eagle S profile: in the corridor the vessel slows from cruise to ``slow_ratio`` x cruise over
    ``ramp_min`` minutes, keeps its course, and drags on for ``drag_km``; then it speeds up again.

    The host track must already cross the asset (relocate it first); the onset is placed
    ``onset_before_crossing_min`` before the first crossing. Real fixes after the onset are
    replaced by the dragging ship's.
    """
    rng = _rng(seed)
    track = track_of(positions, mmsi)
    cross = crossings(track.lon, track.lat, track.ts, asset.line)
    if cross.size == 0:
        raise ValueError(f"MMSI {mmsi} never crosses {asset.asset_name or 'the asset'}: relocate the track over it first")
    onset = float(cross[0]) - onset_before_crossing_min * 60_000
    cruise = cruise_kn if cruise_kn is not None else track.cruise_kn(onset)
    course = track.course_deg(onset)
    drag = cruise * slow_ratio
    ramp = ramp_min * 60.0
    ramp_km = 0.5 * (cruise + drag) * KN_TO_MS * ramp / 1000.0
    hold = max((drag_km - ramp_km) * 1000.0 / (drag * KN_TO_MS), 60.0)
    knots = np.arange(0.0, ramp + hold, 300.0)
    knots = np.unique(np.concatenate([knots, [ramp, ramp + hold]]))
    sog = np.interp(knots, [0.0, ramp, ramp + hold], [cruise, drag, drag])
    cog = course + rng.normal(0, 1.0, knots.size)  # course kept: steering noise only
    syn = _synth_for(track, onset, rng, realism)
    syn.add(_Leg(Profile(knots, sog, cog)))
    drag_end = syn.now_ms
    resume = np.array([0.0, 600.0, after_min * 60.0])
    syn.add(_Leg(Profile(resume, np.array([drag, cruise, cruise]), np.full(3, course))))
    out = _replace_rows(positions, mmsi, onset, np.inf, syn.table())
    return Injected(out, None, [_label(scenario, "anchor_drag", mmsi, onset, drag_end, asset, profile="eagle_s",
                                       cruise_kn=round(cruise, 2), drag_kn=round(drag, 2), ramp_min=ramp_min,
                                       drag_km=drag_km, course_deg=round(course, 1))])


def inject_anchor_drag_multi(positions: pa.Table, mmsi: int, assets: Sequence[AssetLine], *, drag_km: float = 120.0,
                             drag_ratio: float = 0.8, dip_ratio: float = 0.45, dip_min: float = 15.0,
                             wobble_deg: float = 12.0, onset_km_before: float = 5.0, cruise_kn: float | None = None,
                             seed: int | np.random.Generator | None = 0, scenario: str = "",
                             realism: Realism = Realism()) -> Injected:
    """Yi Peng 3 profile: a long drag at ``drag_ratio`` x cruise on a steady course, with a speed dip to
    ``dip_ratio`` x cruise and course wobbles of +-``wobble_deg`` around every asset crossing.

    The host track must head towards the assets; the drag starts ``onset_km_before`` the first
    crossing of the first asset on its current course. Crossing times are found on the
    synthesised path itself (three fixed-point passes, since dips delay later crossings).
    One ``anchor_drag`` label per crossing.
    """
    rng = _rng(seed)
    track = track_of(positions, mmsi)
    cross = crossings(track.lon, track.lat, track.ts, assets[0].line)
    if cross.size == 0:
        raise ValueError(f"MMSI {mmsi} never crosses {assets[0].asset_name}: relocate the track over it first")
    cruise = cruise_kn if cruise_kn is not None else track.cruise_kn(float(cross[0]))
    onset = float(cross[0]) - onset_km_before * 1000.0 / (cruise * KN_TO_MS) * 1000.0
    course = track.course_deg(onset)
    base = cruise * drag_ratio
    dur = drag_km * 1000.0 / (base * KN_TO_MS)
    knots = np.arange(0.0, dur, 60.0)
    noise = rng.normal(0, 1.0, knots.size)
    found: list[tuple[AssetLine, float]] = []
    for _ in range(3):
        sog = np.full(knots.size, base)
        cog = course + noise
        for _, t_c in found:
            rel = knots - (t_c - onset) / 1000.0
            dip = np.exp(-0.5 * (rel / (dip_min * 60 / 2.5)) ** 2)
            sog = sog - (base - cruise * dip_ratio) * dip
            cog = cog + wobble_deg * np.sin(2 * np.pi * rel / 600.0) * (np.abs(rel) < dip_min * 60)
        syn = _synth_for(track, onset, np.random.default_rng(rng.integers(2**32)), realism)
        syn.add(_Leg(Profile(knots, sog, cog)))
        t_all = np.concatenate(syn.t_ms)
        lon, lat = np.concatenate(syn.cols["lon"]), np.concatenate(syn.cols["lat"])
        found = [(a, float(c)) for a in assets for c in crossings(lon, lat, t_all, a.line)]
    if not found:
        raise ValueError(f"MMSI {mmsi}: the drag course {course:.0f} deg crosses none of the assets")
    out = _replace_rows(positions, mmsi, onset, np.inf, syn.table())
    half = dip_min * 60_000
    labels = [_label(scenario, "anchor_drag", mmsi, max(onset, t_c - half), t_c + half, a, profile="yi_peng_3",
                     crossing=iso_ms(t_c), drag_start=iso_ms(onset), drag_end=iso_ms(syn.now_ms),
                     cruise_kn=round(cruise, 2), drag_kn=round(base, 2), dip_kn=round(cruise * dip_ratio, 2))
              for a, t_c in sorted(found, key=lambda f: f[1])]
    return Injected(out, None, labels)


# --------------------------------------------------------------------------------------------
# Identity
# --------------------------------------------------------------------------------------------


def static_rows(mmsi: int, ts_ms: np.ndarray, *, imo: int | None, callsign: str, name: str, ship_type: int = 70,
                dims: tuple[int, int, int, int] = (120, 30, 10, 10), draught: float = 7.5,
                destination: str = "") -> pa.Table:
    """Type-5 static/voyage rows (one per time) in the STATIC contract."""
    n = len(ts_ms)
    rep = lambda v, typ: pa.array([v] * n, typ)  # noqa: E731
    return pa.Table.from_arrays([
        pa.array(np.full(n, mmsi, np.uint32)), pa.array(np.asarray(ts_ms, np.int64)).cast(STATIC.field("ts").type),
        rep(imo, pa.uint32()), rep(callsign, pa.string()), rep(name, pa.string()), rep(ship_type, pa.uint8()),
        rep(dims[0], pa.uint16()), rep(dims[1], pa.uint16()), rep(dims[2], pa.uint8()), rep(dims[3], pa.uint8()),
        rep(draught, pa.float32()), rep(destination, pa.string()), pa.nulls(n, STATIC.field("eta").type),
        pa.array(np.full(n, 5, np.uint8)), pa.nulls(n, pa.uint8()), rep("injected", pa.string()),
        pa.array(np.ones(n, np.uint16)),
    ], schema=STATIC)


def _static_times(track: _Track, t_from: float, t_to: float, every_s: float = 360.0) -> np.ndarray:
    """Class A sends type 5 every 6 min while it transmits: one static time per 6 min of fixes."""
    ts = track.ts[(track.ts >= t_from) & (track.ts < t_to)]
    if ts.size == 0:
        return ts
    slot = (ts - ts[0]) // int(every_s * 1000)
    first = np.concatenate([[True], slot[1:] != slot[:-1]])
    return ts[first]


def inject_identity_change(positions: pa.Table, mmsi: int, *, at_ms: float, identity: dict, new_identity: dict,
                           new_mmsi: int | None = None, scenario: str = "", static: pa.Table | None = None) -> Injected:
    """Before ``at_ms`` the vessel broadcasts ``identity``, afterwards ``new_identity`` (name/callsign/imo);
    with ``new_mmsi`` its positions after ``at_ms`` also move to a new MMSI (a re-flag: new MID)."""
    track = track_of(positions, mmsi)
    out = positions
    before = static_rows(mmsi, _static_times(track, -np.inf, at_ms), **identity)
    target = new_mmsi if new_mmsi is not None else mmsi
    after = static_rows(target, _static_times(track, at_ms, np.inf), **new_identity)
    if new_mmsi is not None:
        sub = positions.filter(pc.and_(pc.equal(positions["mmsi"], pa.scalar(mmsi, pa.uint32())),
                                       pc.greater_equal(positions["ts"].cast(pa.int64()), int(at_ms))))
        moved = sub.set_column(0, "mmsi", pa.array(np.full(sub.num_rows, new_mmsi, np.uint32))).cast(POSITIONS)
        out = sort_positions(pa.concat_tables([_replace_rows(positions, mmsi, at_ms, np.inf, None), moved]))
    changed = sorted(k for k in new_identity if new_identity.get(k) != identity.get(k))
    parts = [t for t in (static, before, after) if t is not None]
    labels = [_label(scenario, "identity_change", target, at_ms, at_ms, None, changed=changed,
                     old_mmsi=int(mmsi), new_mmsi=int(target))]
    return Injected(out, pa.concat_tables(parts).sort_by("ts"), labels)


def inject_shared_imo(positions: pa.Table, mmsi_a: int, mmsi_b: int, *, imo: int, identity_a: dict, identity_b: dict,
                      scenario: str = "", static: pa.Table | None = None) -> Injected:
    """One IMO under two MMSIs: both vessels broadcast the same IMO number while both are on air."""
    ta, tb = track_of(positions, mmsi_a), track_of(positions, mmsi_b)
    sa = static_rows(mmsi_a, _static_times(ta, -np.inf, np.inf), imo=imo, **identity_a)
    sb = static_rows(mmsi_b, _static_times(tb, -np.inf, np.inf), imo=imo, **identity_b)
    overlap = (max(ta.ts[0], tb.ts[0]), min(ta.ts[-1], tb.ts[-1]))
    if overlap[0] > overlap[1]:
        raise ValueError(f"MMSIs {mmsi_a} and {mmsi_b} are never on air at the same time")
    # The second MMSI to announce the IMO is the anomaly; labelled from its first static report.
    first_b = float(sb["ts"].cast(pa.int64()).to_numpy().min())
    first_a = float(sa["ts"].cast(pa.int64()).to_numpy().min())
    later = mmsi_b if first_b >= first_a else mmsi_a
    t_dup = max(first_a, first_b)
    parts = [t for t in (static, sa, sb) if t is not None]
    return Injected(positions, pa.concat_tables(parts).sort_by("ts"), [
        _label(scenario, "identity_change", later, t_dup, t_dup, None, kind="imo_under_two_mmsi", imo=int(imo),
               mmsis=[int(mmsi_a), int(mmsi_b)])])


# --------------------------------------------------------------------------------------------
# Relocation
# --------------------------------------------------------------------------------------------


def relocate(positions: pa.Table, mmsi: int, *, anchor_ms: float, to: tuple[float, float], course_deg: float,
             new_mmsi: int | None = None, t_from_ms: float = -np.inf, t_to_ms: float = np.inf) -> pa.Table:
    """Translate and rotate a real track (rigidly, in metres) so that its fix at ``anchor_ms`` lies at ``to``
    and its course there becomes ``course_deg``. COG and heading rotate with it; times, speeds and
    the track's shape are unchanged. Returns the relocated rows only (optionally under ``new_mmsi``).
    """
    sub = positions.filter(pc.equal(positions["mmsi"], pa.scalar(mmsi, pa.uint32())))
    ts = sub["ts"].cast(pa.int64())
    sub = sub.filter(pc.and_(pc.greater_equal(ts, _clamp_ms(t_from_ms)), pc.less(ts, _clamp_ms(t_to_ms)))).sort_by("ts")
    sub = sub.filter(pc.and_(pc.is_valid(sub["lat"]), pc.is_valid(sub["lon"])))
    track = track_of(sub, mmsi)
    lon0, lat0 = track.position_at(anchor_ms)
    turn = angle_diff_deg(course_deg, track.course_deg(anchor_ms))
    x, y = to_local(track.lon, track.lat, lon0, lat0)
    a = np.deg2rad(turn)  # clockwise rotation by `turn` degrees (compass sense)
    xr = x * np.cos(a) + y * np.sin(a)
    yr = -x * np.sin(a) + y * np.cos(a)
    lon, lat = from_local(xr, yr, *to)
    out = sub.set_column(2, "lat", pa.array(lat)).set_column(3, "lon", pa.array(lon))
    cog = sub["cog"].cast(pa.float64()).to_numpy(zero_copy_only=False)
    out = out.set_column(5, "cog", pa.array(np.mod(cog + turn, 360.0), pa.float32(), mask=~np.isfinite(cog)))
    hdg = sub["heading"].cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
    h = np.mod(np.round(hdg + turn), 360.0)
    out = out.set_column(6, "heading", pa.array(np.where(np.isfinite(h), h, 0).astype(np.uint16), pa.uint16(),
                                                  mask=~np.isfinite(h)))
    out = out.set_column(13, "source", pa.array([f"relocated:{s}" for s in sub["source"].to_pylist()], pa.string()))
    if new_mmsi is not None:
        out = out.set_column(0, "mmsi", pa.array(np.full(out.num_rows, new_mmsi, np.uint32)))
    return out.cast(POSITIONS)
