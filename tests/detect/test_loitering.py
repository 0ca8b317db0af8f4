"""loitering on the real NY harbour week: anchored ships inside a known anchorage are not loitering."""

from __future__ import annotations

from collections import Counter

from seawarden.detect import DetectConfig, DetectionEngine


def _loiter(ny, anchorages):
    cfg = DetectConfig.from_dict({"spatial": {"anchorages": anchorages},
                                  "detectors": {"loitering": {"scope": "anywhere"}}})
    e = DetectionEngine(cfg, detectors=["loitering"])
    return e.process(ny) + e.flush()


def test_anchored_in_known_anchorage_is_not_loitering(ny):
    base = [e for e in _loiter(ny, []) if e.status == "open"]
    assert len(base) >= 5, "the NY week is full of ships lying still for hours"
    assert all(e.evidence["avg_sog_kn"]["value"] <= 2.0 and e.evidence["duration_s"]["value"] >= 3600 for e in base)
    # the densest 0.02-degree cell of loitering starts is an anchorage: declare it one
    cells = Counter((round(e.lat / 0.02), round(e.lon / 0.02)) for e in base)
    (ci, cj), n = cells.most_common(1)[0]
    box = [cj * 0.02 - 0.03, ci * 0.02 - 0.03, cj * 0.02 + 0.03, ci * 0.02 + 0.03]
    inside = [e for e in base if box[0] <= e.lon <= box[2] and box[1] <= e.lat <= box[3]]
    after = [e for e in _loiter(ny, [{"name": "test anchorage", "bbox": box}]) if e.status == "open"]
    assert inside and len(after) <= len(base) - len(inside)
    assert not [e for e in after if box[0] + 0.005 <= e.lon <= box[2] - 0.005 and box[1] + 0.005 <= e.lat <= box[3] - 0.005]


def test_default_scope_needs_a_corridor(ny):
    e = DetectionEngine(detectors=["loitering"])  # no assets: nothing is inside a corridor
    assert not (e.process(ny) + e.flush())
