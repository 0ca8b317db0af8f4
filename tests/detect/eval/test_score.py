"""Scoring on hand-made events gives the hand-computed hits, misses, false alarms, lead times and rates."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from seawarden.detect.eval.real_data import load_kystverket_vestland, positions_table
from seawarden.detect.eval.scenarios import build_suite
from seawarden.detect.eval.score import EvalInputError, ScoreConfig, evaluate, evaluate_dir, read_jsonl, vessel_hours
from seawarden.detect.eval.times import parse_iso_ms

DAY = "2024-12-25T"
LABELS = [
    {"scenario": "t", "type": "anchor_drag", "mmsi": 1, "start": DAY + "10:00:00Z", "end": DAY + "11:00:00Z"},
    {"scenario": "t", "type": "loitering", "mmsi": 2, "start": DAY + "12:00:00Z", "end": DAY + "14:00:00Z"},
    {"scenario": "t", "type": "ais_gap", "mmsi": 3, "start": DAY + "08:00:00Z", "end": DAY + "09:00:00Z"},
]
EVENTS = [
    {"type": "anchor_drag", "mmsi": 1, "start": DAY + "10:20:00Z", "end": DAY + "10:50:00Z", "detected_at": DAY + "10:25:00Z"},
    {"type": "anchor_drag", "mmsi": 1, "start": DAY + "11:05:00Z", "end": DAY + "11:30:00Z"},  # within 10 min tolerance
    {"type": "loitering", "mmsi": 2, "start": DAY + "14:20:00Z", "end": DAY + "15:00:00Z"},  # 20 min late: false alarm
    {"type": "loitering", "mmsi": 9, "start": DAY + "12:00:00Z", "end": DAY + "13:00:00Z"},  # wrong vessel
    {"type": "cable_crossing", "mmsi": 5, "start": DAY + "12:00:00Z", "end": DAY + "12:00:00Z"},  # a log, not an alarm
    {"type": "ais_gap", "mmsi": 3, "start": DAY + "08:00:00Z", "end": None},  # open gap
]


def _scenario(tmp_path, labels=LABELS):
    d = tmp_path / "t"
    d.mkdir()
    with open(d / "labels.jsonl", "w") as fh:
        fh.write("\n".join(json.dumps(x) for x in labels) + "\n")
    t0 = parse_iso_ms(DAY + "00:00:00Z")
    minutes = np.array([0, 10, 20, 90, 100, 0, 30])
    mmsi = np.array([1, 1, 1, 1, 1, 2, 2])
    tab = positions_table(mmsi, t0 + minutes * 60_000, np.full(7, 60.0), np.full(7, 25.0))
    import pyarrow.parquet as pq

    pq.write_table(tab, d / "positions.parquet")
    return d


def test_vessel_hours_excludes_gaps_over_30_min(tmp_path):
    d = _scenario(tmp_path)
    import pyarrow.parquet as pq

    # MMSI 1: 10 + 10 min, the 70 min gap excluded, + 10 min; MMSI 2: exactly 30 min counts -> 1 h
    assert vessel_hours(pq.read_table(d / "positions.parquet")) == pytest.approx(1.0)


def test_vessel_hours_on_a_real_track(shared_data):
    pos = load_kystverket_vestland(shared_data)
    expected = 0.0
    for m in set(pos["mmsi"].to_pylist()):
        ts = sorted(t.timestamp() for t, mm in zip(pos["ts"].to_pylist(), pos["mmsi"].to_pylist()) if mm == m)
        expected += sum(b - a for a, b in zip(ts, ts[1:]) if b - a <= 1800) / 3600
    assert vessel_hours(pos) == pytest.approx(expected)
    assert 5 < vessel_hours(pos) < 5 * 24


def test_hand_computed_scores(tmp_path):
    rep = evaluate(_scenario(tmp_path), EVENTS)
    assert (rep.hits, rep.misses, rep.false_alarms) == (2, 1, 2)
    drag, loit, gap = rep.by_type["anchor_drag"], rep.by_type["loitering"], rep.by_type["ais_gap"]
    assert (drag.precision, drag.recall, drag.lead_times_s) == (1.0, 1.0, [25 * 60.0])
    assert (loit.precision, loit.recall, loit.false_alarms) == (0.0, 0.0, 2)
    assert gap.lead_times_s == [0.0]  # no detected_at: falls back to the event start
    assert rep.by_type["cable_crossing"].false_alarms == 0
    assert rep.false_alarms_per_1000_vessel_hours == pytest.approx(2000.0)
    d = rep.to_dict()
    assert d["by_type"]["anchor_drag"]["median_lead_time_s"] == 1500.0 and d["missed"][0]["type"] == "loitering"
    assert rep.to_table().row_count == 4


def test_a_pair_event_hits_both_vessels_labels(tmp_path):
    """A rendezvous is one event naming both vessels (GFW reports an encounter once, with both ids):
    it credits the labels of both, and a third vessel's label is still a miss."""
    meet = {"scenario": "t", "type": "rendezvous", "start": DAY + "10:00:00Z", "end": DAY + "11:30:00Z"}
    labels = [dict(meet, mmsi=1), dict(meet, mmsi=2), dict(meet, mmsi=3)]
    pair = {"type": "rendezvous", "mmsi": 1, "related_mmsi": 2, "start": DAY + "10:30:00Z", "end": DAY + "11:30:00Z"}
    rep = evaluate(_scenario(tmp_path, labels), [pair])
    assert (rep.hits, rep.misses, rep.false_alarms) == (2, 1, 0)
    assert rep.missed[0]["mmsi"] == 3 and rep.by_type["rendezvous"].true_events == 1


def test_tolerance_from_config(tmp_path):
    cfg = tmp_path / "detect.toml"
    cfg.write_text('[eval]\ntolerance_s = 600\n[eval.tolerance_s_by_type]\nloitering = 1800\n')
    rep = evaluate(_scenario(tmp_path), EVENTS, config=ScoreConfig.from_toml(cfg))
    assert rep.by_type["loitering"].hits == 1 and rep.false_alarms == 1


def test_events_from_jsonl_and_errors_name_the_line(tmp_path):
    d = _scenario(tmp_path)
    ev = tmp_path / "events.jsonl"
    ev.write_text("\n".join(json.dumps(e) for e in EVENTS) + "\n")
    assert evaluate(d, ev).hits == 2
    ev.write_text(json.dumps(EVENTS[0]) + "\n" + json.dumps(dict(EVENTS[0], type="kraken")) + "\n")
    with pytest.raises(EvalInputError, match=r"events.jsonl:2: unknown type 'kraken'"):
        evaluate(d, ev)
    ev.write_text("{not json\n")
    with pytest.raises(EvalInputError, match=r"events.jsonl:1: invalid JSON"):
        evaluate(d, ev)
    (d / "labels.jsonl").write_text(json.dumps(LABELS[0]) + "\n" + json.dumps({"type": "drift", "mmsi": 1}) + "\n")
    with pytest.raises(EvalInputError, match=r"labels.jsonl:2: missing field 'start'"):
        read_jsonl(d / "labels.jsonl", is_label=True)
    (tmp_path / "x").mkdir()
    with pytest.raises(EvalInputError, match=r"events for t\[0\]: end .* is before start"):
        evaluate(_scenario(tmp_path / "x"), [dict(EVENTS[0], end=DAY + "09:00:00Z")])


def test_evaluate_dir_on_a_built_suite(shared_data, tmp_path):
    dirs = build_suite(shared_data, tmp_path, only=["ny_drift", "untouched_solent"])
    assert {p.name for p in dirs} == {"ny_drift", "untouched_solent"}
    for d in dirs:
        assert {"positions.parquet", "labels.jsonl", "assets.geojson", "scenario.toml"} <= {p.name for p in d.iterdir()}

    def oracle(positions, static, assets):  # a perfect detector: reports exactly the labels
        seen = {int(m) for m in positions["mmsi"].to_numpy()}
        labs = [json.loads(x) for x in (tmp_path / "ny_drift" / "labels.jsonl").read_text().splitlines()]
        return [lab for lab in labs if lab["mmsi"] in seen and positions.num_rows > 20000]

    reports, total = evaluate_dir(tmp_path, oracle)
    assert total.hits == 1 and total.misses == 0 and total.false_alarms == 0
    assert {r.scenario for r in reports} == {"ny_drift", "untouched_solent"} and total.vessel_hours > 50
    _, none = evaluate_dir(tmp_path, lambda p, s, a: [])
    assert none.hits == 0 and none.misses == 1


def test_build_is_deterministic(shared_data, tmp_path):
    import pyarrow.parquet as pq

    a = build_suite(shared_data, tmp_path / "a", only=["ny_rendezvous"])[0]
    b = build_suite(shared_data, tmp_path / "b", only=["ny_rendezvous"])[0]
    assert pq.read_table(a / "positions.parquet").equals(pq.read_table(b / "positions.parquet"))
    assert (a / "labels.jsonl").read_text() == (b / "labels.jsonl").read_text()
    assert pa.types.is_timestamp(pq.read_table(a / "positions.parquet").schema.field("ts").type)
