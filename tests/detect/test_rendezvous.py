"""rendezvous on the real NY harbour week: moored neighbours in a marina are no encounter; the
eval's meeting at sea is one event naming both vessels."""

from __future__ import annotations

import pytest

from seawarden.detect import DetectConfig, DetectionEngine
from seawarden.detect.eval.real_data import load_ny_harbour_week

# two craft 6 m apart at 0.03 kn for 40 min in a Jamaica Bay marina, 16 km from the nearest WPI port
MARINA_PAIR = {367638140, 367638930}


@pytest.fixture(scope="module")
def week_dec4(shared_data):
    return load_ny_harbour_week(shared_data, "2020-12-04T06:00:00", "2020-12-04T18:00:00")


def _pairs(positions, **params):
    cfg = DetectConfig.from_dict({"detectors": {"rendezvous": params}} if params else None)
    e = DetectionEngine(cfg, None, detectors=["rendezvous"])
    return [{x.mmsi, x.related_mmsi} for x in e.process(positions) + e.flush() if x.status == "open"]


def test_moored_pair_in_a_marina_is_no_encounter(week_dec4):
    pytest.importorskip("global_land_mask")
    assert MARINA_PAIR in _pairs(week_dec4, inland_water_check=False)  # the rule is what removes it
    assert _pairs(week_dec4) == []


def test_meeting_at_sea_is_one_event_naming_both(shared_data):
    from seawarden.detect.eval.scenarios import DEFAULT_SEED, ny_rendezvous

    built = ny_rendezvous(shared_data, DEFAULT_SEED)
    assert _pairs(built.positions) == [{int(m) for m in built.params["vessels"]}]
