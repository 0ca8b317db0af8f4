"""`suspects` command: formats, evidence packs, and clear errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from seawarden.alert.forensics.cli import app


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_json_ranking_and_evidence(store_path, gridkit_file, scenario, window, tmp_path):
    t0, t1 = (w.isoformat().replace("+00:00", "Z") for w in window)
    r = _run("--asset", "Estlink 2", "--from", t0, "--to", t1, "--store", str(store_path), "--assets", str(gridkit_file),
             "--format", "json", "--evidence", str(tmp_path / "packs"), "--evidence-top", "1")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout[: r.stdout.rindex("}") + 1])
    assert doc["suspects"][0]["mmsi"] == scenario.dragger
    assert (tmp_path / "packs" / f"01_{scenario.dragger}" / "report.html").exists()


def test_table_and_csv(store_path, gridkit_file, window):
    t0, t1 = (w.isoformat() for w in window)
    r = _run("--asset", "estlink2", "--from", t0, "--to", t1, "--store", str(store_path), "--assets", str(gridkit_file), "--limit", "2")
    assert r.exit_code == 0, r.output
    assert "drag signature" in r.output
    r = _run("--asset", "Estlink 2", "--from", t0, "--to", t1, "--store", str(store_path), "--assets", str(gridkit_file), "--format", "csv")
    assert r.exit_code == 0 and r.output.splitlines()[0].startswith("rank,mmsi,name")


def test_errors(store_path, gridkit_file, tmp_path):
    r = _run("--asset", "Estlink 2", "--from", "yesterday", "--to", "2020-07-01", "--store", str(store_path), "--assets", str(gridkit_file))
    assert r.exit_code == 2 and "not an ISO 8601 time" in r.output
    r = _run("--asset", "Nowhere", "--from", "2020-06-30", "--to", "2020-07-01", "--store", str(store_path), "--assets", str(gridkit_file))
    assert r.exit_code == 2 and "no asset named" in r.output
    r = _run("--asset", "Estlink 2", "--from", "2020-06-30", "--to", "2020-07-01", "--store", str(tmp_path / "none.duckdb"),
             "--assets", str(gridkit_file))
    assert r.exit_code == 2 and "no store" in r.output
    r = _run("--asset", "Estlink 2", "--from", "2020-06-30", "--to", "2020-07-01", "--near", "59.9", "--store", str(store_path),
             "--assets", str(gridkit_file))
    assert r.exit_code == 2 and "LAT,LON" in r.output
