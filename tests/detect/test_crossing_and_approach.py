"""cable_crossing / approach on real tracks: a Solent ferry crossing at speed (a log, never an
approach or a drag), a real Norwegian cruise slowing towards a cable (approach, cue "slowing"),
the eval's real NY ship leaving its route for FA-1 (cue "diverted"), and the real NY ferries whose
curved routes dead-reckon across the Rockaways (no approach through land)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from seawarden.detect import DetectConfig, DetectionEngine
from seawarden.track.geo import haversine_m_array

from .scenarios import asset_index, cable_across, columns, slow_down, table, vessel
from .test_invariance import SHIP, T0


def _round_trip_ferry(solent):
    """The fast vessel whose track goes furthest out and comes back closest to its start."""
    c = columns(solent)
    best = None
    for m in np.unique(c["mmsi"]):
        k = c["mmsi"] == m
        if k.sum() < 300 or np.nanmax(c["sog"][k]) < 12:
            continue
        lat, lon = c["lat"][k], c["lon"][k]
        d = haversine_m_array(np.full(k.sum(), lat[0]), np.full(k.sum(), lon[0]), lat, lon)
        far = int(np.argmax(d))
        back = d[-1]
        if d[far] > 4000 and back < d[far] / 3 and (best is None or d[far] > best[1]):
            best = (int(m), d[far], far)
    assert best is not None
    m, _, far = best
    k = c["mmsi"] == m
    return m, {key: v[k] for key, v in c.items()}, far


def test_ferry_crossing_twice_at_speed_is_two_crossings_and_no_drag(solent):
    mmsi, v, far = _round_trip_ferry(solent)
    mid = far // 2
    # a cable through the outbound track's midpoint, perpendicular to start->far
    la0, lo0, la1, lo1 = v["lat"][0], v["lon"][0], v["lat"][far], v["lon"][far]
    dx, dy = (lo1 - lo0) * np.cos(np.radians(la0)), la1 - la0
    nx, ny = -dy, dx
    s = 0.2 / np.hypot(nx, ny)
    cx, cy = v["lon"][mid], v["lat"][mid]
    line = shapely.LineString([(cx - nx * s / np.cos(np.radians(cy)), cy - ny * s), (cx + nx * s / np.cos(np.radians(cy)), cy + ny * s)])
    idx = asset_index({"SOL": line}, corridor_m=500)
    e = DetectionEngine(index=idx)
    ev = e.process(table(v)) + e.flush()
    crossings = [x for x in ev if x.type == "cable_crossing"]
    assert len(crossings) == 2, [(x.start, x.evidence["sog_kn"]) for x in crossings]
    assert all(x.asset_id == "SOL" and x.mmsi == mmsi and x.start == x.end for x in crossings)
    assert all(x.evidence["sog_kn"] > 8 for x in crossings)  # at full speed
    assert all(np.isfinite(x.evidence["km_point"]) for x in crossings)
    assert not [x for x in ev if x.type in ("anchor_drag", "loitering")]
    # a routine transit at speed on the ferry's route is no warning (it had one per crossing before the cues)
    assert not [x for x in ev if x.type == "approach"]


def _approaches(events):
    return [x for x in events if x.type == "approach"]


def test_slowing_towards_a_cable_is_an_approach_and_steady_cruise_is_not(kyst):
    real = vessel(kyst, SHIP, T0, T0 + 4 * 3600_000)
    slowed = slow_down(real, T0 + 60 * 60_000, 20 * 60, 0.5)  # 12.3 -> ~6 kn over 20 min, course kept
    cable = cable_across(slowed, T0 + 100 * 60_000, half_len_m=5_000)
    idx = asset_index({"C1": cable}, corridor_m=500)
    steady = DetectionEngine(index=idx, detectors=["approach", "cable_crossing"])
    ev = steady.process(table(real)) + steady.flush()
    assert [x.type for x in ev] == ["cable_crossing"]  # the same real cruise across the cable, unchanged speed
    e = DetectionEngine(index=idx, detectors=["approach", "cable_crossing"])
    ev = e.process(table(slowed)) + e.flush()
    (warn,) = _approaches(ev)
    (cross,) = [x for x in ev if x.type == "cable_crossing"]
    assert warn.evidence["cues"] == ["slowing"] and warn.evidence["slowing_ratio"]["value"] <= 0.75
    assert warn.asset_id == "C1" and 0 < (cross.start - warn.start) / 60_000 <= 30 + 5


def test_leaving_the_route_for_the_cable_is_an_approach(shared_data):
    """The eval scenario: a real NY ship under way at sea turns >= 60 deg off its course and steers for FA-1
    10 km off the landing; the warning comes before it enters the corridor."""
    from seawarden.detect.eval.runner import asset_index_from_features
    from seawarden.detect.eval.scenarios import DEFAULT_SEED, ny_speed_drop_approach
    from seawarden.detect.eval.times import parse_iso_ms

    built = ny_speed_drop_approach(shared_data, DEFAULT_SEED)
    (label,) = [x for x in built.labels if x["type"] == "approach"]
    idx = asset_index_from_features([a.to_feature() for a in built.assets])
    e = DetectionEngine(index=idx, detectors=["approach"])
    ev = _approaches(e.process(built.positions) + e.flush())
    (warn,) = [x for x in ev if x.mmsi == label["mmsi"]]
    assert warn.evidence["cues"] == ["diverted"] and warn.evidence["course_change_deg"]["value"] >= 45
    entry = parse_iso_ms(label["end"])
    assert parse_iso_ms(label["start"]) < warn.start < entry - 15 * 60_000  # >= 15 min before corridor entry
    assert abs(warn.end - entry) < 10 * 60_000  # the predicted entry (event end) is close to the real one
    assert len(ev) == 1  # nothing else in the two real days


def test_no_approach_through_land(shared_data):
    """Real NY week, 1 Dec: the Rockaway ferries turn out of Jamaica Bay towards FA-1's landing at 20-28 kn and
    their dead-reckoned paths cross the Rockaway peninsula; without the land test they were warnings."""
    pytest.importorskip("global_land_mask")
    from seawarden.detect.eval.real_data import load_ny_harbour_week, load_asset

    day = load_ny_harbour_week(shared_data, "2020-12-01T00:00:00", "2020-12-02T00:00:00")
    fa1 = load_asset(shared_data, "flag-atlantic-1")
    from seawarden.detect.eval.runner import asset_index_from_features

    idx = asset_index_from_features([fa1.to_feature()])
    blind = DetectionEngine(DetectConfig.from_dict({"detectors": {"approach": {"sea_path_check": False}}}), idx,
                            detectors=["approach"])
    through_land = _approaches(blind.process(day) + blind.flush())
    assert len(through_land) >= 2
    e = DetectionEngine(index=idx, detectors=["approach"])
    assert not _approaches(e.process(day) + e.flush())
    assert e.stats["approach_through_land"] >= len(through_land)
