"""Every detector, by name. A new detector is one module in `detectors/` plus one line here
(and its defaults block in defaults.toml)."""

from __future__ import annotations

from seawarden.detect.base import Detector
from seawarden.detect.detectors.ais_gap import AisGap
from seawarden.detect.detectors.anchor_drag import AnchorDrag
from seawarden.detect.detectors.approach import Approach
from seawarden.detect.detectors.cable_crossing import CableCrossing
from seawarden.detect.detectors.drift import Drift
from seawarden.detect.detectors.identity_change import IdentityChange
from seawarden.detect.detectors.loitering import Loitering
from seawarden.detect.detectors.position_jump import PositionJump
from seawarden.detect.detectors.rendezvous import Rendezvous
from seawarden.detect.detectors.speed_drop import SpeedDrop

DETECTORS: dict[str, type[Detector]] = {
    "cable_crossing": CableCrossing,
    "anchor_drag": AnchorDrag,
    "drift": Drift,
    "speed_drop": SpeedDrop,
    "loitering": Loitering,
    "ais_gap": AisGap,
    "position_jump": PositionJump,
    "rendezvous": Rendezvous,
    "identity_change": IdentityChange,
    "approach": Approach,
}
