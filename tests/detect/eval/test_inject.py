"""Injected behaviours are physically consistent and their labels match what was injected."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from shapely.geometry import box

from seawarden.detect.eval import inject as inj
from seawarden.detect.eval.kinematics import GEOD, segment_speed_kn
from seawarden.detect.eval.real_data import load_asset, load_ny_harbour_week, load_us_coastal_day
from seawarden.detect.eval.scenarios import _offshore_point, _relocated_host, steady_windows
from seawarden.detect.eval.times import parse_iso_ms

EXACT = inj.Realism(gnss_sigma_m=0.0, sog_sigma_kn=0.0, cog_sigma_deg=0.0, heading_sigma_deg=0.0)


@pytest.fixture(scope="module")
def ny(shared_data):
    return load_ny_harbour_week(shared_data, "2020-12-02T00:00:00", "2020-12-02T18:00:00")


@pytest.fixture(scope="module")
def fa1(shared_data):
    a = load_asset(shared_data, "flag-atlantic-1")
    return inj.AssetLine(a.geometry.intersection(box(-74.5, 40.2, -73.3, 41.0)), a.asset_id, a.asset_name)


def _host(ny):
    u, c = np.unique(ny["mmsi"].to_numpy(), return_counts=True)
    return int(u[np.argmax(c)])


def _injected(table, mmsi):
    m = pc.and_(pc.equal(table["mmsi"], pa.scalar(mmsi, pa.uint32())), pc.equal(table["source"], "injected"))
    sub = table.filter(m).sort_by("ts")
    return (sub["ts"].cast(pa.int64()).to_numpy(), sub["lon"].to_numpy(), sub["lat"].to_numpy(),
            sub["sog"].to_numpy().astype(float), sub["cog"].to_numpy().astype(float))


def _assert_consistent(ts, lon, lat, sog, tol_kn=0.15):
    assert np.all(np.diff(ts) > 0), "time must advance strictly"
    implied = segment_speed_kn(lon, lat, ts)
    expected = 0.5 * (sog[:-1] + sog[1:])
    assert np.max(np.abs(implied - expected)) < tol_kn


def test_loitering_is_slow_zigzag_over_the_asset_and_rejoins(ny, fa1):
    host = _host(ny)
    t0 = int(inj.track_of(ny, host).ts[100])
    at = _offshore_point(fa1.line, 6.0)
    out = inj.inject_loitering(ny, host, fa1, start_ms=t0, hours=3.0, at=at, seed=1, scenario="t", realism=EXACT)
    ts, lon, lat, sog, cog = _injected(out.positions, host)
    _assert_consistent(ts, lon, lat, sog)
    (lab,) = out.labels
    s, e = parse_iso_ms(lab["start"]), parse_iso_ms(lab["end"])
    assert (e - s) == pytest.approx(3 * 3_600_000, abs=1000)  # the label starts once the ship is slow
    inside = (ts > s) & (ts < e)
    assert inside.sum() > 50 and np.all(sog[inside] < 2.0)
    _, _, d = GEOD.inv(lon[inside], lat[inside], np.full(inside.sum(), at[0]), np.full(inside.sum(), at[1]))
    assert d.max() < 1500.0
    turns = np.abs(np.diff(cog[inside]))
    assert np.sum(np.minimum(turns, 360 - turns) > 45) >= 5, "zig-zag: several sharp turns"
    assert np.all(sog[ts < s - inj.SLOW_DOWN_S * 1000] > 5.0), "transit to the asset is at transit speed"
    # ... and it sheds that speed over about a mile, not in a crash stop (which would be a speed_drop)
    slowing = (ts >= s - inj.SLOW_DOWN_S * 1000 - 120_000) & (ts <= s)
    rate = -np.diff(sog[slowing]) / (np.diff(ts[slowing]) / 60_000)
    assert rate.max() < 2.0, "knots lost per minute while slowing"
    assert lab["asset_name"] == "FLAG Atlantic-1 (FA-1)" and lab["type"] == "loitering" and lab["mmsi"] == host
    # The real track is untouched outside the excursion, and other vessels are untouched.
    others_before = ny.filter(pc.not_equal(ny["mmsi"], pa.scalar(host, pa.uint32()))).num_rows
    assert out.positions.filter(pc.not_equal(out.positions["mmsi"], pa.scalar(host, pa.uint32()))).num_rows == others_before


def test_noise_is_metres_not_kilometres(ny, fa1):
    host = _host(ny)
    t0 = int(inj.track_of(ny, host).ts[100])
    out = inj.inject_drift(ny, host, start_ms=t0, hours=2.0, drift_kn=1.0, seed=3)
    ts, lon, lat, sog, _ = _injected(out.positions, host)
    s = parse_iso_ms(out.labels[0]["start"]); e = parse_iso_ms(out.labels[0]["end"])
    m = (ts >= s) & (ts <= e)
    # over 10-fix baselines the implied speed matches the reported SOG despite 5 m GNSS noise
    _, _, d = GEOD.inv(lon[m][:-10], lat[m][:-10], lon[m][10:], lat[m][10:])
    implied = d / ((ts[m][10:] - ts[m][:-10]) / 1000) / (1852 / 3600)
    assert np.median(np.abs(implied - sog[m][5:-5])) < 0.3


def test_drift_heading_diverges_from_cog_at_low_speed(ny):
    host = _host(ny)
    t0 = int(inj.track_of(ny, host).ts[100])
    out = inj.inject_drift(ny, host, start_ms=t0, hours=2.0, seed=2, realism=EXACT)
    sub = out.positions.filter(pc.and_(pc.equal(out.positions["mmsi"], pa.scalar(host, pa.uint32())),
                                       pc.equal(out.positions["source"], "injected")))
    s, e = (parse_iso_ms(out.labels[0][k]) for k in ("start", "end"))
    ts = sub["ts"].cast(pa.int64()).to_numpy()
    m = (ts >= s) & (ts < e)
    hdg = sub["heading"].to_numpy(zero_copy_only=False).astype(float)[m]
    cog = sub["cog"].to_numpy().astype(float)[m]
    diff = np.abs((hdg - cog + 180) % 360 - 180)
    assert np.median(diff) > 40 and np.all(sub["sog"].to_numpy()[m] < 2.5)
    assert set(sub["nav_status"].to_numpy(zero_copy_only=False)[m]) == {1}


def test_ais_gap_silences_only_the_host_and_flags_impossible_reappearance(ny, fa1):
    host = _host(ny)
    tr = inj.track_of(ny, host)
    t0 = int(tr.ts[200])
    far = inj.inject_ais_gap(ny, host, start_ms=t0, hours=1.0, reappear_shift_m=(150_000.0, 0.0))
    assert [lab["type"] for lab in far.labels] == ["position_jump"], "no asset named: no ais_gap expected"
    assert far.labels[0]["notes"]["gap_h"] >= 1.0
    out = inj.inject_ais_gap(ny, host, start_ms=t0, hours=1.0, reappear_shift_m=(150_000.0, 0.0), asset=fa1)
    gap, jump = out.labels
    s, e = parse_iso_ms(gap["start"]), parse_iso_ms(gap["end"])
    ts = out.positions["ts"].cast(pa.int64()).to_numpy()
    mm = out.positions["mmsi"].to_numpy()
    assert not np.any((mm == host) & (ts > s) & (ts < e))
    assert np.sum((mm != host) & (ts > s) & (ts < e)) > 100, "neighbours keep transmitting"
    assert e - s >= 3_600_000 and jump["type"] == "position_jump" and gap["notes"]["implied_speed_kn"] > 40


def test_teleport_and_twin(ny):
    host = _host(ny)
    t0 = int(inj.track_of(ny, host).ts[150])
    out = inj.inject_teleport(ny, host, at_ms=t0, jump_km=40.0)
    assert out.labels[0]["notes"]["implied_speed_kn"] > 100
    u, c = np.unique(ny["mmsi"].to_numpy(), return_counts=True)
    victim, donor = (int(x) for x in u[np.argsort(-c)][1:3])
    out = inj.inject_twin(ny, victim, donor, start_ms=t0, end_ms=t0 + 3_600_000)
    assert donor not in set(out.positions.filter(pc.and_(
        pc.greater_equal(out.positions["ts"].cast(pa.int64()), t0),
        pc.less(out.positions["ts"].cast(pa.int64()), t0 + 3_600_000)))["mmsi"].to_pylist())
    tr = inj.track_of(out.positions, victim)
    assert np.nanmax(segment_speed_kn(tr.lon, tr.lat, tr.ts)) > 40, "two ships on one MMSI imply impossible speeds"


def test_identity_change_static_rows(ny):
    host = _host(ny)
    t_mid = int(np.median(inj.track_of(ny, host).ts))
    ident = dict(imo=9_000_001, callsign="AAA1", name="BEFORE")
    out = inj.inject_identity_change(ny, host, at_ms=t_mid, identity=ident, new_identity=dict(ident, name="AFTER"),
                                     new_mmsi=636_000_001)
    st = out.static
    ts = st["ts"].cast(pa.int64()).to_numpy()
    names = np.array(st["name"].to_pylist())
    assert set(names[ts < t_mid]) == {"BEFORE"} and set(names[ts >= t_mid]) == {"AFTER"}
    assert set(st["mmsi"].to_numpy()[ts >= t_mid]) == {636_000_001}
    assert out.labels[0]["notes"]["changed"] == ["name"]
    assert inj.track_of(out.positions, 636_000_001).ts.min() >= t_mid


@pytest.fixture(scope="module")
def baltic_host(shared_data):
    us = load_us_coastal_day(shared_data)
    (m, t_end), *_ = steady_windows(us, (7.5, 11.0))
    return us, m, t_end


def test_eagle_s_drag_profile(shared_data, baltic_host):
    us, m, t_end = baltic_host
    est = load_asset(shared_data, "estlink-2")
    line = inj.AssetLine(est.geometry, est.asset_id, est.asset_name)
    start = GEOD.fwd(26.048584, 59.92956, 75.0, 3000.0)[:2]
    host = _relocated_host(us, (m, t_end), (float(start[0]), float(start[1])), 255.0)
    out = inj.inject_anchor_drag(host, m, line, drag_km=60.0, seed=4, realism=EXACT)
    (lab,) = out.labels
    s, e = parse_iso_ms(lab["start"]), parse_iso_ms(lab["end"])
    ts, lon, lat, sog, cog = _injected(out.positions, m)
    _assert_consistent(ts, lon, lat, sog)
    cruise = lab["notes"]["cruise_kn"]
    at35 = np.argmin(np.abs(ts - (s + 35 * 60_000)))
    assert sog[0] == pytest.approx(cruise, abs=0.2) and sog[at35] == pytest.approx(cruise * 6.3 / 8.5, abs=0.2)
    m_drag = (ts >= s) & (ts <= e)
    assert np.max(np.abs((cog[m_drag] - 255.0 + 180) % 360 - 180)) < 5.0, "course kept"
    _, _, d = GEOD.inv(lon[m_drag][:-1], lat[m_drag][:-1], lon[m_drag][1:], lat[m_drag][1:])
    assert d.sum() / 1000 == pytest.approx(60.0, rel=0.03)
    assert inj.crossings(lon, lat, ts, line.line).size >= 1 and lab["asset_name"] == "Estlink 2"


def test_relocation_is_rigid(baltic_host):
    us, m, t_end = baltic_host
    orig = inj.track_of(us, m)
    moved = inj.track_of(_relocated_host(us, (m, t_end), (25.0, 59.8), 255.0), m)
    keep = np.isin(orig.ts, moved.ts)
    _, _, d0 = GEOD.inv(orig.lon[keep][:-1], orig.lat[keep][:-1], orig.lon[keep][1:], orig.lat[keep][1:])
    _, _, d1 = GEOD.inv(moved.lon[:-1], moved.lat[:-1], moved.lon[1:], moved.lat[1:])
    np.testing.assert_allclose(d1, d0, atol=0.5)
    assert moved.course_deg(t_end) == pytest.approx(255.0, abs=0.5)
