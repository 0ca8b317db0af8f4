"""anchor_drag on a real Norwegian coastal track with the Eagle S slowdown injected."""

from __future__ import annotations

import math

import numpy as np
import shapely

from seawarden.detect import DetectionEngine
from seawarden.track.geo import destination

from .scenarios import asset_index, cable_across, slow_down, table, vessel

SHIP = 257725000  # Kystverket sample: cruises ~12.3 kn on a steady course 05:00-09:00 UTC
T0 = 1662008400000  # 2022-09-01 05:00 UTC
ONSET = T0 + 90 * 60_000


def _run(cols, index):
    e = DetectionEngine(index=index, detectors=["anchor_drag", "cable_crossing"])
    return e.process(table(cols)) + e.flush()


def test_eagle_s_slowdown_in_corridor_is_detected(kyst):
    real = vessel(kyst, SHIP, T0, T0 + 4 * 3600_000)
    drag = slow_down(real, ONSET, ramp_s=35 * 60, factor=6.3 / 8.5)
    idx = asset_index({"C1": cable_across(drag, ONSET + 60 * 60_000, half_len_m=5_000)}, corridor_m=40_000)
    ev = [e for e in _run(drag, idx) if e.type == "anchor_drag"]
    assert ev, "sustained 26 % slowdown in a corridor, course kept, must raise anchor_drag"
    first = ev[0]
    assert first.status == "open" and first.asset_id == "C1" and first.severity >= 4
    assert first.evidence["sog_drop_kn"]["value"] >= first.evidence["sog_drop_kn"]["threshold"]
    assert first.evidence["sog_ratio"]["value"] <= first.config["max_ratio"]
    assert first.evidence["course_change_deg"]["value"] <= first.config["course_tolerance_deg"]
    assert 11.0 < first.evidence["baseline_kn"]["value"] < 13.5  # the ship's own cruising speed
    lead_min = (first.detected_at - ONSET) / 60_000
    assert 10 < lead_min < 70
    assert len(first.evidence["track"]) >= 5 and first.to_json()


def test_untouched_cruise_and_drop_outside_corridor_raise_nothing(kyst):
    real = vessel(kyst, SHIP, T0, T0 + 4 * 3600_000)
    far = asset_index({"C1": cable_across(real, T0 + 60 * 60_000, half_len_m=3_000)}, corridor_m=500)
    assert not [e for e in _run(real, far) if e.type == "anchor_drag"]
    drag = slow_down(real, ONSET, ramp_s=35 * 60, factor=6.3 / 8.5)
    # the only asset is crossed an hour before the slowdown: the drop happens outside any corridor
    assert not [e for e in _run(drag, far) if e.type == "anchor_drag"]


# -- regression: demo crosser 367707330 (real US track, MarineCadastre 2020-06-30) fired twice over a cable -------
CREEPER = 367707330
ENGINE_ORDER = 1593518237000  # 7.4 kn at -4 min, 4.6 kn at -2 min, 3.2 kn here: slowed by command in 4 min
# ... then 3-4 kn for an hour with a 30 deg dog-leg, turns about (~357 -> ~180) and creeps on at ~3 kn


def test_engine_order_and_later_harbour_creep_are_no_drag(shared_data):
    from seawarden.detect.eval.real_data import load_us_coastal_day

    real = vessel(load_us_coastal_day(shared_data), CREEPER, ENGINE_ORDER - 3 * 3600_000, ENGINE_ORDER + 3 * 3600_000)
    assert real["sog"][real["ts"] < ENGINE_ORDER - 240_000][-10:].min() > 7.0  # it was cruising
    # one long cable where it cut its speed, with a corridor wide enough to hold the whole slow hour after it
    idx = asset_index({"C1": cable_across(real, ENGINE_ORDER, half_len_m=30_000)}, corridor_m=20_000)
    assert not [e for e in _run(real, idx) if e.type == "anchor_drag"]
    # the same track slowing the Eagle S way (gradually, 35 min, course kept) before the engine order is still a drag
    drag = slow_down(vessel(load_us_coastal_day(shared_data), CREEPER, ENGINE_ORDER - 3 * 3600_000, ENGINE_ORDER - 300_000),
                     ENGINE_ORDER - 100 * 60_000, ramp_s=35 * 60, factor=6.3 / 8.5)
    idx = asset_index({"C1": cable_across(drag, ENGINE_ORDER - 100 * 60_000, half_len_m=30_000)}, corridor_m=20_000)
    assert [e for e in _run(drag, idx) if e.type == "anchor_drag"], "the gradual slowdown on this real track is a drag"


# -- a drag over several assets: every one listed, the event named after the one it crossed -------------------------
def _beside(v, at_ms: int, off_m: float, len_m: float = 5_000.0) -> shapely.LineString:
    """A straight test cable ending `off_m` beside the track at the fix nearest `at_ms`: its corridor is
    touched, its line is not crossed."""
    i = int(np.argmin(np.abs(v["ts"] - at_ms)))
    j = min(i + 5, len(v["ts"]) - 1)
    brg = math.degrees(math.atan2((v["lon"][j] - v["lon"][i]) * math.cos(math.radians(v["lat"][i])), v["lat"][j] - v["lat"][i]))
    a = destination(v["lat"][i], v["lon"][i], brg + 90.0, off_m)
    b = destination(v["lat"][i], v["lon"][i], brg + 90.0, off_m + len_m)
    return shapely.LineString([(a[1], a[0]), (b[1], b[0])])


def _drag_then_cruise(real, drag_until_ms: int):
    """The Eagle S slowdown until `drag_until_ms` (anchor raised), then the real track's own speed again:
    the drag ends and is reported closed."""
    drag = slow_down(real, ONSET, ramp_s=35 * 60, factor=6.3 / 8.5)
    k = int(np.searchsorted(drag["ts"], drag_until_ms))
    shift = drag["ts"][k - 1] - real["ts"][k - 1]
    return {c: np.concatenate([drag[c][:k], real[c][k:] + (shift if c == "ts" else 0)]) for c in real}


def _drags(events):
    opened = [e for e in events if e.type == "anchor_drag" and e.status == "open"]
    closed = [e for e in events if e.type == "anchor_drag" and e.status == "closed"]
    assert len(opened) == 1 and len(closed) == 1, "one drag, reported open and then closed"
    return opened[0], closed[0]


def test_drag_across_several_cables_names_the_one_it_crossed_and_lists_all(kyst):
    drag = _drag_then_cruise(vessel(kyst, SHIP, T0, T0 + 4 * 3600_000), ONSET + 100 * 60_000)
    cables = {
        "BEFORE": cable_across(drag, ONSET - 30 * 60_000, half_len_m=5_000),  # crossed at full cruise: not the drag's
        "AT": cable_across(drag, ONSET + 4 * 60_000, half_len_m=5_000),  # [EAGLE] the anchor drops just before the line
        "LATER": cable_across(drag, ONSET + 80 * 60_000, half_len_m=5_000),  # dragged across after the alert opened
    }
    opened, closed = _drags(_run(drag, asset_index(cables, corridor_m=1000)))
    assert opened.asset_id == closed.asset_id == "AT" and opened.asset_name == "Test cable AT"
    assert opened.event_id == closed.event_id, "re-reports of one drag keep its id (the alert key holds the asset)"
    assert [a["id"] for a in opened.evidence["assets"]] == ["AT"]
    listed = closed.evidence["assets"]
    assert [a["id"] for a in listed] == ["AT", "LATER"] and all(a["crossed"] for a in listed)
    for a in listed:
        assert a["name"] == f"Test cable {a['id']}" and a["first"] <= a["crossed_at"]
        assert 4.0 < a["km_point"] < 6.0  # the track crosses the 10 km test cables at their middle
        assert a["closest_m"] == 0.0
    assert listed[0]["first"] < listed[1]["first"] and closed.evidence["assets_unlisted"] == 0
    assert closed.to_json()


def test_drag_touching_corridors_only_is_named_after_the_closest(kyst):
    drag = _drag_then_cruise(vessel(kyst, SHIP, T0, T0 + 4 * 3600_000), ONSET + 60 * 60_000)
    cables = {"FAR": _beside(drag, ONSET + 4 * 60_000, 800.0), "NEAR": _beside(drag, ONSET + 25 * 60_000, 300.0)}
    opened, closed = _drags(_run(drag, asset_index(cables, corridor_m=1000)))
    assert opened.asset_id == closed.asset_id == "NEAR", "nothing crossed: the closest corridor names the drag"
    listed = {a["id"]: a for a in closed.evidence["assets"]}
    assert set(listed) == {"FAR", "NEAR"} and not any(a["crossed"] or a["crossed_at"] for a in listed.values())
    assert 700.0 < listed["FAR"]["closest_m"] < 900.0 and 200.0 < listed["NEAR"]["closest_m"] < 400.0
    assert listed["FAR"]["first"] < listed["NEAR"]["first"]
