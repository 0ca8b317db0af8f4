"""The detector engine as the evaluation harness calls it: one scenario in, event dicts out."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from seawarden.assets.loaders import read_asset_file
from seawarden.assets.spatial import AssetIndex
from seawarden.detect.config import DetectConfig
from seawarden.detect.engine import DetectionEngine
from seawarden.detect.eval.score import DetectFn


def asset_index_from_features(features: list[dict]) -> AssetIndex | None:
    """The scenario's assets (GeoJSON features with asset_id/name/kind) as a spatial index."""
    if not features:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "assets.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        return AssetIndex.build(read_asset_file(path, id_field="asset_id", name_field="name"))


def detect_scenario(config_path: str | Path | None = None) -> DetectFn:
    """A DetectFn running every enabled detector with the given configuration."""
    config = DetectConfig.load(config_path)

    def run(positions: pa.Table, static: pa.Table | None, features: list[dict]) -> list[Mapping]:
        engine = DetectionEngine(config, asset_index_from_features(features))
        events = engine.process(positions, static) + engine.flush()
        return [e.as_dict() for e in events]

    return run
