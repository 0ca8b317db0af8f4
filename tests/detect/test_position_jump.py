"""position_jump across a silence: a real Kystverket track silenced for 1.5 h reappears 180 km west, at sea (65 kn)
(impossible: flagged) or where it really was (plausible: not flagged); the untouched NY harbour week
has silences of 1-12 h and none of them is flagged."""

from __future__ import annotations

import numpy as np

from seawarden.detect import DetectionEngine

from .scenarios import columns, table, vessel
from .test_invariance import SHIP, T0

H = 3_600_000


def _silenced(kyst, hours: float, shift_east_m: float = 0.0):
    v = vessel(kyst, SHIP, T0, T0 + 4 * H + int(hours * H))
    quiet = (v["ts"] > T0 + 2 * H) & (v["ts"] < T0 + 2 * H + int(hours * H))
    v = {k: a[~quiet] for k, a in v.items()}
    after = v["ts"] >= T0 + 2 * H + int(hours * H)
    v["lon"] = v["lon"].astype(float).copy()
    v["lon"][after] += shift_east_m / (111_320.0 * np.cos(np.radians(v["lat"][after].astype(float))))
    return v, quiet


def _jumps(t):
    e = DetectionEngine(detectors=["position_jump"])
    return [x for x in e.process(t) + e.flush() if x.type == "position_jump"]


def test_impossible_reappearance_after_a_silence_is_flagged(kyst):
    v, quiet = _silenced(kyst, 1.5, shift_east_m=-180_000.0)
    assert quiet.sum() > 50, "the ship really transmitted during the silenced hours"
    ev = _jumps(table(v))
    assert [x.subtype for x in ev] == ["impossible_speed"]
    j = ev[0].evidence
    assert j["across_silence"] is True and j["implied_kn"]["value"] > 50
    assert 1.5 * 3600 <= j["dt_s"] <= 1.5 * 3600 + 600
    assert 170_000 < j["distance_m"]["value"] < 210_000  # the shift plus what it really sailed


def test_plausible_reappearance_or_too_long_a_silence_is_not(kyst):
    real, _ = _silenced(kyst, 1.5)
    assert not _jumps(table(real))
    slow, _ = _silenced(kyst, 1.5, shift_east_m=-40_000.0)  # ~15 kn more than it made: still possible
    assert not _jumps(table(slow))
    long, quiet = _silenced(kyst, 13.0, shift_east_m=-600_000.0)  # beyond max_silence_s (12 h)
    assert quiet.sum() > 50 and not _jumps(table(long))


def test_untouched_ny_week_silences_are_not_flagged(ny):
    c = columns(ny)
    order = np.lexsort((c["ts"], c["mmsi"]))
    mm, ts = c["mmsi"][order], c["ts"][order]
    same = mm[1:] == mm[:-1]
    dt = np.diff(ts)[same]
    assert np.sum((dt > H) & (dt <= 12 * H)) > 20, "the week has silences the rule judges"
    assert not [x for x in _jumps(ny) if x.evidence.get("across_silence")]
