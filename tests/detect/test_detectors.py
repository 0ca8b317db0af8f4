"""Per-detector checks on the injected real-data stream of test_invariance, plus negatives."""

from __future__ import annotations

import numpy as np
import pytest

from seawarden.detect import DetectConfig, DetectionEngine

from .scenarios import merge, table, vessel
from .test_invariance import SHIP, T0, stream  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def events(stream):  # noqa: F811
    pos, static, idx, cfg = stream
    e = DetectionEngine(cfg, idx)
    return e.process(pos, static) + e.flush()


def of(events, type_, subtype=None, mmsi=None):
    return [e for e in events if e.type == type_ and (subtype is None or e.subtype == subtype)
            and (mmsi is None or e.mmsi == mmsi)]


def test_speed_drop_and_drift(events):
    sd = of(events, "speed_drop", mmsi=257000001)
    assert len(sd) == 1 and sd[0].evidence["from_kn"]["value"] >= 7 and sd[0].evidence["to_kn"]["value"] <= 1
    dr = of(events, "drift", "underway", mmsi=257000001)
    assert dr and dr[0].evidence["max_divergence_deg"]["value"] >= 45
    assert not of(events, "speed_drop", mmsi=257744000) and not of(events, "drift", mmsi=257744000)


def test_ais_gap_open_then_closed_with_reappearance(events):
    gaps = of(events, "ais_gap", mmsi=257000003)
    assert [g.status for g in gaps] == ["open", "closed"]
    opened, closed = gaps
    assert opened.event_id == closed.event_id and opened.end is None and closed.end is not None
    assert closed.evidence["gap_s"]["value"] >= 1800 - 60
    assert closed.evidence["plausible"] is True and closed.evidence["others_heard"]["value"] >= 1


def test_ais_gap_needs_others_heard(kyst):
    """Silence of every vessel at once is a receiver outage, not a dark ship."""
    a = vessel(kyst, SHIP, T0, T0 + 4 * 3600_000)
    b = vessel(kyst, 257744000)
    both = merge(a, b)
    hole = (both["ts"] > T0 + 3600_000) & (both["ts"] < T0 + 2 * 3600_000)
    e = DetectionEngine(DetectConfig.from_dict({"detectors": {"ais_gap": {"scope": "anywhere"}}}),
                        detectors=["ais_gap"])
    assert not (e.process(table({k: v[~hole] for k, v in both.items()})) + e.flush())


def test_position_jump_and_two_ships(events):
    two = of(events, "position_jump", "two_ships", mmsi=SHIP)
    assert two and two[0].evidence["alternations"]["value"] >= 3
    jumps = of(events, "position_jump", "impossible_speed", mmsi=SHIP)
    assert len(jumps) <= 3  # the first jumps before the twin is recognised, then suppressed
    assert all(j.evidence["implied_kn"]["value"] > 50 for j in jumps)


def test_real_day_has_no_impossible_positions(kyst):
    e = DetectionEngine(detectors=["position_jump", "anchor_drag", "speed_drop"])
    assert not (e.process(kyst) + e.flush())


def test_rendezvous_and_anchorage_exclusion(stream, events):  # noqa: F811
    rv = of(events, "rendezvous")
    assert rv and {rv[0].mmsi, rv[0].related_mmsi} == {257733000, 257000002}
    assert rv[0].evidence["duration_s"]["value"] >= 1800 and rv[0].evidence["min_distance_m"]["value"] <= 250
    pos, static, idx, _ = stream
    # with the World Port Index as anchorage list (the default) the pair at the quay is no rendezvous
    e = DetectionEngine(DetectConfig.load(), idx, detectors=["rendezvous"])
    assert not (e.process(pos) + e.flush())
    c = vessel(pos, 257733000)
    lat, lon = float(np.median(c["lat"])), float(np.median(c["lon"]))
    cfg = DetectConfig.from_dict({"spatial": {"anchorages": [{"name": "quay", "bbox": [lon - .01, lat - .01, lon + .01, lat + .01]}]},
                                  "detectors": {"rendezvous": {"port_context": False}}})
    e = DetectionEngine(cfg, idx, detectors=["rendezvous"])
    assert not (e.process(pos) + e.flush())


def test_identity_changes(events):
    idc = of(events, "identity_change")
    subs = {e.subtype for e in idc}
    assert {"name_change", "shared_imo", "flag_change"} <= subs
    flag = of(events, "identity_change", "flag_change")[0]
    assert flag.evidence["flag_before"] == "NO" and flag.evidence["flag_now"] == "RU"  # MID 273


def test_config_errors_are_clear():
    with pytest.raises(ValueError, match="unknown keys"):
        DetectConfig.from_dict({"detectors": {"loitering": {"max_speed": 3}}})
    with pytest.raises(ValueError, match="scope must be one of"):
        DetectionEngine(DetectConfig.from_dict({"detectors": {"loitering": {"scope": "everywhere"}}}))
    with pytest.raises(ValueError, match="needs a bbox, a polygon or an assets list"):
        DetectConfig.from_dict({"overrides": [{"name": "x", "detectors": {}}]})


def test_area_override_changes_parameters(kyst):
    """A stricter anchor_drag threshold inside a bbox applies there only; events carry the profile."""
    from .scenarios import asset_index, cable_across, slow_down

    real = vessel(kyst, SHIP, T0, T0 + 4 * 3600_000)
    drag = slow_down(real, T0 + 90 * 60_000, 35 * 60, 0.87)  # 13 %: ratio above the default 0.85
    idx = asset_index({"C1": cable_across(drag, T0 + 110 * 60_000, half_len_m=5_000)}, corridor_m=40_000)
    plain = DetectionEngine(index=idx, detectors=["anchor_drag"])
    assert not (plain.process(table(drag)) + plain.flush())
    cfg = DetectConfig.from_dict({"overrides": [{"name": "strict", "assets": ["C1"], "detectors": {
        "anchor_drag": {"min_drop_kn": 1.0, "max_ratio": 0.92}}}]})
    strict = DetectionEngine(cfg, idx, detectors=["anchor_drag"])
    ev = strict.process(table(drag)) + strict.flush()
    assert ev and ev[0].config["profile"] == "strict" and ev[0].config["min_drop_kn"] == 1.0


def test_rendezvous_at_sea_found_and_harbour_pairs_not(shared_data):
    """Real NY harbour week (tugs with barges, ferries at terminals, pilot boats) plus two real ships
    made to meet 8 km off Long Beach for 1.5 h (the eval scenario): the meeting is found, the
    harbour's side-by-side pairs (50 events before the port exclusion) are not."""
    from seawarden.detect.eval.scenarios import DEFAULT_SEED, ny_rendezvous

    built = ny_rendezvous(shared_data, DEFAULT_SEED)
    e = DetectionEngine(DetectConfig.load(), None, detectors=["rendezvous"])
    ev = [x for x in e.process(built.positions) + e.flush() if x.status == "open"]
    pairs = [{x.mmsi, x.related_mmsi} for x in ev]
    assert {int(m) for m in built.params["vessels"]} in pairs
    assert len(ev) <= 2  # the meeting, at most one real pair far from any port
