"""`seawarden alerts ...` / `seawarden risk ...` against a store file built from the Eagle S replay."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from seawarden.alert import AlertPipeline
from seawarden.alert.cli import app
from seawarden.assets.registry import AssetRegistry
from seawarden.store.alerts_duckdb import DuckDBAlertStore


@pytest.fixture()
def home(tmp_path, monkeypatch, eagle_s_batches, estlink_assets):
    monkeypatch.setenv("SEAWARDEN_HOME", str(tmp_path))
    AssetRegistry().save(estlink_assets)
    db = DuckDBAlertStore.open(tmp_path / "seawarden.duckdb")
    AlertPipeline(db).handle([e for b in eagle_s_batches for e in b])
    db.close()
    return tmp_path


def test_alert_lifecycle_from_the_command_line(home, eagle_s):
    host = eagle_s.labels[0]["mmsi"]
    r = CliRunner(env={"COLUMNS": "250"})
    res = r.invoke(app, ["alerts", "list", "--status", "open", "--json"])
    assert res.exit_code == 0, res.output
    alerts = [json.loads(x) for x in res.output.splitlines()]
    drag = next(a for a in alerts if a["mmsi"] == host and a["kind"] == "seabed_threat")
    assert drag["severity"] == 5 and drag["asset_name"] == "Estlink 2"
    res = r.invoke(app, ["alerts", "ack", drag["alert_id"], "--by", "duty officer"])
    assert res.exit_code == 0 and "open -> acknowledged by duty officer" in res.output
    res = r.invoke(app, ["alerts", "resolve", drag["alert_id"], "--by", "watch leader"])
    assert res.exit_code != 0  # --reason is required
    res = r.invoke(app, ["alerts", "resolve", drag["alert_id"], "--by", "watch leader", "--reason", "escorted"])
    assert res.exit_code == 0 and "acknowledged -> resolved" in res.output
    res = r.invoke(app, ["alerts", "dismiss", drag["alert_id"], "--by", "x", "--reason", "y"])
    assert res.exit_code == 2 and "resolved" in res.output
    res = r.invoke(app, ["alerts", "history", drag["alert_id"]])
    assert res.exit_code == 0 and "watch leader" in res.output and "opened" in res.output
    res = r.invoke(app, ["alerts", "list", "--status", "resolved", "--json"])
    assert [json.loads(x)["alert_id"] for x in res.output.splitlines()] == [drag["alert_id"]]
    assert r.invoke(app, ["alerts", "list", "--status", "closed"]).exit_code == 2


def test_risk_from_the_command_line(home, eagle_s):
    host = eagle_s.labels[0]["mmsi"]
    r = CliRunner(env={"COLUMNS": "250"})
    res = r.invoke(app, ["risk", "vessel", str(host), "--at", "latest", "--json"])
    assert res.exit_code == 0, res.output
    score = json.loads(res.output)
    assert score["total"] > 30 and score["breakdown"][0]["reason"].startswith("anchor_drag")
    assert sum(e["points"] for e in score["breakdown"]) == pytest.approx(score["total"], abs=0.05)
    now = json.loads(r.invoke(app, ["risk", "vessel", str(host), "--json"]).output)
    assert now["total"] < score["total"], "years later the 2020 events have decayed"
    res = r.invoke(app, ["risk", "asset", "estlink 2", "--at", "latest"])
    assert res.exit_code == 0 and "asset Estlink 2" in res.output and "criticality 5" in res.output
    assert r.invoke(app, ["risk", "asset", "no such cable"]).exit_code == 2
