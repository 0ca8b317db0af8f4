"""detect: behaviours that precede cable and pipeline damage, as Events.

    engine = DetectionEngine(DetectConfig.load(path_or_None), asset_index)
    for batch in source.batches():
        for event in engine.process(batch): ...
    events = engine.flush()

or `run_detectors(position_batches, static_batches, asset_index, config)`.
"""

from seawarden.detect.config import DetectConfig
from seawarden.detect.engine import DetectionEngine, positions_table, run_detectors
from seawarden.detect.event import Event, to_feature_collection
from seawarden.detect.registry import DETECTORS

__all__ = ["DETECTORS", "DetectConfig", "DetectionEngine", "Event", "positions_table", "run_detectors",
           "to_feature_collection"]
