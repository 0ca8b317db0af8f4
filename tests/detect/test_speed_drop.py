"""speed_drop on real tracks: a real NY ship stopping in open sea (the eval's injection) is found;
ferries and hovercraft stopping at their berths (real Solent and NY traffic) are not."""

from __future__ import annotations

import pytest

from seawarden.detect import DetectConfig, DetectionEngine
from seawarden.detect.eval.real_data import load_ny_harbour_week

NO_HARBOUR_RULE = {"detectors": {"speed_drop": {"port_context": False, "inland_water_check": False}}}


def _drops(positions, config=None):
    e = DetectionEngine(DetectConfig.from_dict(config), None, detectors=["speed_drop"])
    return e.process(positions) + e.flush(), e.stats


def test_stop_at_sea_is_found(shared_data):
    from seawarden.detect.eval.scenarios import DEFAULT_SEED, ny_speed_drop_approach
    from seawarden.detect.eval.times import parse_iso_ms

    built = ny_speed_drop_approach(shared_data, DEFAULT_SEED)
    (label,) = [x for x in built.labels if x["type"] == "speed_drop"]
    events, _ = _drops(built.positions)
    (drop,) = [x for x in events if x.mmsi == label["mmsi"]]
    assert parse_iso_ms(label["start"]) <= drop.start <= parse_iso_ms(label["end"])
    assert drop.evidence["from_kn"]["value"] >= 7 and drop.evidence["to_kn"]["value"] <= 1
    assert drop.evidence["decay_s"]["value"] <= 180
    assert drop.detected_at - parse_iso_ms(label["start"]) < 5 * 60_000  # minutes, not the 20-min hold
    assert len(events) == 1  # nothing else in the two real days


def test_berthing_in_the_solent_is_no_speed_drop(solent):
    """Hovertravel at Ryde and Southsea: 30 kn to 0.1 kn in seconds, at the hover pads (1.7 and 8.5 km from WPI ports)."""
    pytest.importorskip("tracktable_data")
    raw, _ = _drops(solent, NO_HARBOUR_RULE)
    assert len(raw) >= 3
    events, stats = _drops(solent)
    assert events == [] and stats["speed_drop_in_harbour"] == len(raw)


def test_ferry_landing_far_from_ports_is_no_speed_drop(shared_data):
    """The SeaStreak Rockaway landing lies 16 km from the nearest WPI port, in a basin the 1 km land mask calls land."""
    pytest.importorskip("global_land_mask")
    day = load_ny_harbour_week(shared_data, "2020-12-01T00:00:00", "2020-12-02T00:00:00")
    ports_only, _ = _drops(day, {"detectors": {"speed_drop": {"inland_water_check": False}}})
    assert len(ports_only) >= 5
    events, _ = _drops(day)
    assert events == []
