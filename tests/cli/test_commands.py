"""The command line on real data: decode, ingest (idempotent), detect, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from seawarden.cli import app

DMA = "ais_nmea_dma/aisabnormal_ais-sample_2013-11-12.txt.gz"
AISLIB = "ais_nmea_dma/aislib_stream_example_2010-06-11.txt"
PYAIS_SAMPLE = "ais_nmea_test_corpora/pyais/nmea_data_sample.txt"


@pytest.fixture()
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SEAWARDEN_HOME", str(tmp_path / "home"))
    return CliRunner()


def test_decode_writes_three_tables_and_counts(runner: CliRunner, shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "dma.parquet"
    result = runner.invoke(app, ["decode", str(shared_data / DMA), str(shared_data / AISLIB), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert pq.read_metadata(out).num_rows == 24688 + 2987
    assert pq.read_metadata(tmp_path / "dma.static.parquet").num_rows == 130 + 497
    assert "messages of type 1" in result.output and "rejected: impossible_value" in result.output


def test_file_without_timestamps_needs_a_clock(runner: CliRunner, shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    result = runner.invoke(app, ["decode", str(shared_data / PYAIS_SAMPLE), "-o", str(out)])
    assert result.exit_code != 0 and "--clock" in result.output
    ok = runner.invoke(app, ["decode", str(shared_data / PYAIS_SAMPLE), "-o", str(out), "--clock", "2020-01-01T00:00:00Z"])
    assert ok.exit_code == 0, ok.output
    assert pq.read_metadata(out).num_rows > 500


def test_ingest_twice_stores_once_and_detects(runner: CliRunner, shared_data: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    events = tmp_path / "events.jsonl"
    args = ["ingest", str(shared_data / DMA), "--store", str(store), "--assets", str(shared_data), "--events", str(events)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "24,688 positions" in first.output
    lines = events.read_text().splitlines()
    assert lines, "the real DMA sample crosses cables: crossings expected"
    ev = json.loads(lines[0])
    assert {"type", "mmsi", "start", "end", "lat", "lon", "asset_id", "asset_name", "severity", "evidence"} <= ev.keys()
    assert any(json.loads(line)["type"] == "cable_crossing" for line in lines)
    second = runner.invoke(app, args)
    assert second.exit_code == 0 and "already in the store" in " ".join(second.output.split())
    assert "24,688 positions" in second.output


def test_detect_geojson_and_bad_inputs(runner: CliRunner, shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.geojson"
    result = runner.invoke(app, ["detect", str(shared_data / AISLIB), "--assets", str(shared_data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["type"] == "FeatureCollection"
    missing = runner.invoke(app, ["detect", str(tmp_path / "nope.nmea"), "-o", str(out)])
    assert missing.exit_code != 0 and "not found" in missing.output
    bad_clock = runner.invoke(app, ["decode", str(shared_data / AISLIB), "-o", str(out), "--clock", "yesterday"])
    assert bad_clock.exit_code != 0 and "--clock" in bad_clock.output


def test_config_file_errors_name_the_file(runner: CliRunner, shared_data: Path, tmp_path: Path) -> None:
    from seawarden.alert.config import AlertSettings
    from seawarden.detect.config import DetectConfig

    bad = tmp_path / "bad.toml"
    bad.write_text("[detectors.anchor_drag\nmin_drop_kn = ")
    for loader in (DetectConfig.load, AlertSettings.load):
        with pytest.raises(ValueError, match="bad.toml: not valid TOML"):
            loader(bad)
        with pytest.raises(ValueError, match="missing.toml: no such file"):
            loader(tmp_path / "missing.toml")
    result = runner.invoke(app, ["detect", str(shared_data / AISLIB), "-o", str(tmp_path / "e.jsonl"), "--config", str(bad)])
    assert result.exit_code != 0 and "not valid TOML" in result.output


GRIDKIT = "power_links_entsoe_gridkit/gridkit_dc_links_europe.geojson"


@pytest.mark.parametrize("command", [["store"], ["alerts", "list"], ["risk", "vessel", "1"],
                                     ["suspects", "--asset", "Estlink 2", "--from", "2024-12-25", "--to", "2024-12-26",
                                      "--assets", "{shared}/" + GRIDKIT]])
def test_a_missing_store_is_a_clear_error(runner: CliRunner, shared_data: Path, tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "nowhere.duckdb"
    args = [a.replace("{shared}", str(shared_data)) for a in command]
    result = runner.invoke(app, [*args, "--store", str(missing)])
    assert result.exit_code == 2, result.output
    assert f"no store at {missing}" in " ".join(result.output.split())
    assert not missing.exists(), "reading commands never create a store"


def test_an_unreachable_postgres_store_is_a_clear_error_without_the_password(runner: CliRunner) -> None:
    result = runner.invoke(app, ["store", "--store", "postgresql://ada:s3cret@127.0.0.1:1/nodb"])
    assert result.exit_code == 2, repr(result.exception)
    assert "cannot connect" in result.output and "ada:***@127.0.0.1:1" in result.output
    assert "s3cret" not in result.output
