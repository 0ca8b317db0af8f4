"""Event.to_json builds its text from a shallow dict with orjson (the live path's bursts cannot afford asdict's deep copy
of every evidence track point, nor the json module); it must stay the JSON of the full as_dict()."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

from seawarden.assets import AssetIndex
from seawarden.assets.adapters import load_default_assets
from seawarden.detect.engine import DetectionEngine
from seawarden.detect.event import Event
from seawarden.ingest.nmea.decoder import NmeaDecoder


def test_to_json_is_the_text_of_as_dict_on_real_events(shared_data) -> None:
    raw = gzip.open(shared_data / "ais_nmea_dma" / "aisabnormal_ais-sample_2013-11-12.txt.gz").read()
    dec, engine = NmeaDecoder(origin="test"), DetectionEngine(index=AssetIndex.build(load_default_assets(shared_data)))
    events = engine.process(dec.feed(raw)) + engine.process(dec.flush()) + engine.flush()
    assert {"cable_crossing", "position_jump"} <= {e.type for e in events}
    assert any(e.evidence.get("track") for e in events)
    for e in events:
        assert json.loads(e.to_json()) == json.loads(json.dumps(e.as_dict(), allow_nan=False))


@dataclass
class _Reading:
    value: float
    unit: str


def test_dataclasses_inside_the_evidence_serialise_as_asdict_would() -> None:
    e = Event("speed_drop", 219000001, 1_000, None, 55.0, 11.0, 2, "open", 1_000,
              {"reading": _Reading(3.5, "kn"), "track": [("2020-01-01T00:00:00.000Z", 55.0, 11.0, 3.5, 90.0)]}, {})
    assert json.loads(e.to_json())["evidence"]["reading"] == {"value": 3.5, "unit": "kn"}
    assert json.loads(e.to_json()) == json.loads(json.dumps(e.as_dict()))


def test_text_is_compact_utf8_and_a_nan_is_not_available() -> None:
    e = Event("loitering", 219000001, 1_000, None, 55.0, 11.0, 2, "open", 1_000,
              {"name": "ÆGIR", "sog": float("nan"), 7: "int key"}, {})
    text = e.to_json()
    assert '"name":"ÆGIR"' in text and ", " not in text
    assert json.loads(text)["evidence"] == {"name": "ÆGIR", "sog": None, "7": "int key"}
