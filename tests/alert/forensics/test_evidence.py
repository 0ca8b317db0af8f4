"""Evidence packs: self-contained, escaped, hashed, with the track as GeoJSON and CSV."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile

import pyarrow.csv as pacsv
import pytest

from seawarden.alert.forensics import ForensicsInputError, rank_suspects
from seawarden.alert.forensics.evidence import (
    ais_attributions,
    subject_for_event,
    subject_for_suspect,
    write_evidence_pack,
)


@pytest.fixture(scope="module")
def report(store_path, index, window):
    from seawarden.store import DuckDBStore

    with DuckDBStore(store_path, read_only=True) as db:
        return rank_suspects(db, index, "Estlink 2", *window)


def test_pack_for_the_top_suspect(tmp_path, store, index, report, scenario):
    top = report.suspects[0]
    out = write_evidence_pack(tmp_path / "top", store, index, subject_for_suspect(report, top))
    names = sorted(p.name for p in out.iterdir())
    assert names == ["manifest.json", "report.html", "track.csv", "track.geojson"]
    manifest = json.loads((out / "manifest.json").read_text())
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    html = (out / "report.html").read_text()
    # self-contained: no scripts, no external fetches
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert html.count("<svg") == 2
    assert "Estlink 2" in html and "CC BY 4.0" in html  # asset dataset licence from the AssetTable
    assert "Synthetic data present" in html  # scenario rows are labelled as such, never passed off as real
    assert "drag signature" in html
    gj = json.loads((out / "track.geojson").read_text())
    kinds = [f["properties"]["kind"] for f in gj["features"]]
    track = pacsv.read_csv(out / "track.csv")
    assert kinds.count("fix") == track.num_rows == manifest["fixes"]
    assert kinds.count("crossing") == len(top.crossings)
    assert track.column("mmsi").to_pylist() == [top.mmsi] * track.num_rows


def test_ais_text_is_escaped(tmp_path, store, index, report, scenario, hostile_name):
    hostile = next(s for s in report.suspects if s.mmsi == scenario.crossers[0])
    assert hostile.name == hostile_name
    out = write_evidence_pack(tmp_path / "hostile", store, index, subject_for_suspect(report, hostile), as_zip=True)
    assert out.suffix == ".zip"
    with zipfile.ZipFile(out) as z:
        html = z.read("hostile/report.html").decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in html
    assert "X&lt;Y" in html


def test_pack_for_a_detector_event(tmp_path, store, index, scenario):
    event = {"type": "anchor_drag", "mmsi": scenario.dragger, "start": scenario.labels[0]["start"], "end": scenario.labels[0]["end"],
             "severity": 5, "asset_id": "gridkit:dc:14816", "asset_name": "Estlink 2", "lat": 59.93, "lon": 26.05,
             "event_id": "abc", "evidence": {"sog_drop_kn": 3.6}}
    out = write_evidence_pack(tmp_path / "event", store, index, subject_for_event(event))
    html = (out / "report.html").read_text()
    assert "anchor_drag" in html and "sog_drop_kn" in html


def test_no_positions_is_a_clear_error(tmp_path, store, index, report):
    subject = subject_for_suspect(report, report.suspects[0])
    subject.mmsi = 1
    with pytest.raises(ForensicsInputError, match="MMSI 1: no positions"):
        write_evidence_pack(tmp_path / "none", store, index, subject)


def test_attribution_of_feeds():
    rows = {r["name"]: r for r in ais_attributions(["dma:AIS", "kystverket", "station-42"], "Own receiver network")}
    assert rows["Danish Maritime Authority AIS"]["attribution"] == "Contains data from the Danish Maritime Authority"
    assert "NLOD" in rows["Norwegian Coastal Administration (Kystverket) AIS"]["licence"]
    assert rows["station-42"]["attribution"].startswith("attribution unknown")
    assert rows["stated by the analyst"]["attribution"] == "Own receiver network"
