"""Ship kinematics for building physically plausible injected tracks.

Injected fixes must survive the same sanity checks a detector applies to real data: implied
speed between fixes equal to the reported SOG, course equal to the bearing of travel, and the
reporting cadence of a real transponder. Motion is integrated in metres on a local azimuthal
equidistant plane (pyproj), which is distance-exact from its centre and within 1e-4 relative
error up to ~150 km from it, i.e. great-circle kinematics at the scale of any injected leg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import Geod, Transformer

GEOD = Geod(ellps="WGS84")
KN_TO_MS = 1852.0 / 3600.0

#: ITU-R M.1371-5 Table 1 (Class A) reporting intervals in seconds, by speed band.
_CLASS_A_BANDS = ((3.0, 180.0), (14.0, 10.0), (23.0, 6.0), (np.inf, 2.0))
#: Class B "SO"/"CS": 3 min at <= 2 kn, 30 s above.
_CLASS_B_BANDS = ((2.0, 180.0), (np.inf, 30.0))


def reporting_interval_s(sog_kn: np.ndarray, ais_class: str = "A", *, anchored: bool = False) -> np.ndarray:
    """Nominal AIS reporting interval for each speed (ITU-R M.1371-5, Table 1 / Class B).

    Class A reports every 3 min only when at anchor/moored and slower than 3 kn; a vessel
    that is underway but slow still reports every 10 s.
    """
    sog = np.asarray(sog_kn, dtype=float)
    if ais_class.upper() == "B":
        bands = _CLASS_B_BANDS
    else:
        bands = _CLASS_A_BANDS if anchored else ((14.0, 10.0), (23.0, 6.0), (np.inf, 2.0))
    out = np.full(sog.shape, bands[-1][1])
    for upper, interval in reversed(bands):
        out = np.where(sog <= upper, interval, out)
    return out


@dataclass(frozen=True)
class Profile:
    """Piecewise-linear speed and course over time (seconds from the leg start).

    Course knots are unwrapped before interpolation so 350 -> 10 degrees turns through north.
    """

    t_s: np.ndarray
    sog_kn: np.ndarray
    cog_deg: np.ndarray

    def __post_init__(self) -> None:
        t = np.asarray(self.t_s, dtype=float)
        if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0):
            raise ValueError("profile knots need >= 2 strictly increasing times")
        if np.asarray(self.sog_kn).shape != t.shape or np.asarray(self.cog_deg).shape != t.shape:
            raise ValueError("profile speed/course knots must match the time knots")

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0])

    def at(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Speed (kn) and course (deg, 0..360) at times t."""
        sog = np.interp(t, self.t_s, self.sog_kn)
        cog = np.interp(t, self.t_s, np.rad2deg(np.unwrap(np.deg2rad(self.cog_deg))))
        return sog, np.mod(cog, 360.0)


def report_times(duration_s: float, sog_of_t, rng: np.random.Generator, *, ais_class: str = "A",
                 min_interval_s: float = 0.0, jitter: float = 0.1, anchored: bool = False) -> np.ndarray:
    """Report times (s) over [0, duration] at the ITU cadence for the current speed.

    ``min_interval_s`` models the thinning of archived feeds (e.g. 60-90 s in MarineCadastre
    extracts): the cadence is the slower of the transponder's and the archive's. Jitter is
    relative, so the stream never looks machine-regular.
    """
    times = [0.0]
    t = 0.0
    while True:
        sog = float(np.asarray(sog_of_t(np.array([t])))[0])
        nominal = max(float(reporting_interval_s(np.array([sog]), ais_class, anchored=anchored)[0]), min_interval_s)
        t += nominal * (1.0 + jitter * rng.uniform(-1.0, 1.0))
        if t >= duration_s:
            break
        times.append(t)
    if duration_s - times[-1] > 1.0:
        times.append(float(duration_s))
    return np.asarray(times)


def to_local(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat -> metres east/north on an azimuthal equidistant plane centred at (lon0, lat0)."""
    tr = Transformer.from_crs("EPSG:4326", _aeqd(lon0, lat0), always_xy=True)
    x, y = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def from_local(x: np.ndarray, y: np.ndarray, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`to_local`."""
    tr = Transformer.from_crs(_aeqd(lon0, lat0), "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def _aeqd(lon0: float, lat0: float) -> str:
    return f"+proj=aeqd +lat_0={lat0:.9f} +lon_0={lon0:.9f} +datum=WGS84 +units=m +no_defs"


def integrate(lon0: float, lat0: float, t_s: np.ndarray, sog_kn: np.ndarray, cog_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dead-reckon positions at times t_s from speed/course at those times (trapezoid rule).

    Each step moves by the mean speed along the circular-mean course, so the implied speed
    between consecutive fixes equals the mean of their reported SOG.
    """
    t = np.asarray(t_s, dtype=float)
    dt = np.diff(t)
    v = 0.5 * (sog_kn[:-1] + sog_kn[1:]) * KN_TO_MS
    c = np.deg2rad(cog_deg)
    ex, ny = np.sin(c), np.cos(c)
    mx, my = ex[:-1] + ex[1:], ny[:-1] + ny[1:]
    norm = np.hypot(mx, my)
    norm = np.where(norm < 1e-9, 1.0, norm)
    step = v * dt
    x = np.concatenate([[0.0], np.cumsum(step * mx / norm)])
    y = np.concatenate([[0.0], np.cumsum(step * my / norm)])
    return from_local(x, y, lon0, lat0)


def add_gnss_noise(lon: np.ndarray, lat: np.ndarray, rng: np.random.Generator, sigma_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian position noise of sigma_m metres (typical GNSS: 3-10 m)."""
    if sigma_m <= 0 or len(lon) == 0:
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    az = rng.uniform(0.0, 360.0, len(lon))
    dist = np.abs(rng.normal(0.0, sigma_m, len(lon)))
    nlon, nlat, _ = GEOD.fwd(lon, lat, az, dist)
    return np.asarray(nlon), np.asarray(nlat)


def segment_speed_kn(lon: np.ndarray, lat: np.ndarray, ts_ms: np.ndarray) -> np.ndarray:
    """Implied speed (kn) between consecutive fixes; NaN where time does not advance."""
    if len(lon) < 2:
        return np.empty(0)
    _, _, dist = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    dt = np.diff(np.asarray(ts_ms, dtype=np.int64)) / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(dt > 0, np.asarray(dist) / dt / KN_TO_MS, np.nan)


def segment_bearing_deg(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Initial great-circle bearing (0..360) of each consecutive pair of fixes."""
    if len(lon) < 2:
        return np.empty(0)
    az, _, _ = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    return np.mod(np.asarray(az), 360.0)


def angle_diff_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed smallest difference a - b in degrees [-180, 180)."""
    return np.mod(np.asarray(a) - np.asarray(b) + 180.0, 360.0) - 180.0
