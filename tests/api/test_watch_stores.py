"""`seawarden watch` on either store: the ingest thread writes while console readers (their own cursor or
connection per thread) answer, operator actions go through the writer, and a bad --store is a clear error."""

from __future__ import annotations

import time

import typer
from api_support import OPERATOR, TOKENS, VIEWER, auth
from fastapi.testclient import TestClient
from store_backends import StoreFactory
from typer.testing import CliRunner

from seawarden.api import TokenRegistry
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import alert_store_for, open_store
from seawarden.watch.cli import watch
from seawarden.watch.runtime import MemorySource, build
from seawarden.watch.service import Input


def test_watch_ingests_while_the_console_reads(open_store_factory: StoreFactory, scenario, estlink) -> None:
    db = open_store(open_store_factory.spec("watch"))  # the CLI's path: a --store spec string
    batch = DecodedBatch(positions=scenario.positions)
    inp = Input("scenario", lambda: MemorySource("scenario", batch, rows=250), fingerprint="test:scenario")
    rt = build(db, [inp], estlink, TokenRegistry(TOKENS), speed=None, flush_interval_s=0.2)
    n = scenario.positions.num_rows
    seen: list[int] = []
    try:
        with TestClient(rt.app) as client:
            rt.service.start()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # reads race the writer: counts only grow
                health = client.get("/api/health").json()
                seen.append(health["positions"])
                assert client.get("/api/vessels", params={"since_s": 86400}, headers=auth(VIEWER)).status_code == 200
                if health["positions"] == n and rt.service.stream_stats()["replay_done"]:
                    break
                time.sleep(0.05)
            assert seen[-1] == n and seen == sorted(seen)
            alerts = client.get("/api/alerts", params={"status": "open"}, headers=auth(VIEWER)).json()
            drag = [a for a in alerts if a["mmsi"] == scenario.dragger]
            assert drag, "the replayed drag opened no alert"
            r = client.post(f"/api/alerts/{drag[0]['id']}/acknowledge", headers=auth(OPERATOR))
            assert r.status_code == 200 and r.json()["status"] == "acknowledged"
            events = client.get("/api/events", params={"mmsi": scenario.dragger}, headers=auth(VIEWER)).json()
            assert any(e["type"] == "anchor_drag" for e in events)
    finally:
        assert rt.close()
    # everything is in the store itself, seen by a fresh process-level handle
    again = open_store(open_store_factory.spec("watch"))
    try:
        assert again.position_totals().positions == n
        assert alert_store_for(again).get(drag[0]["id"]).status == "acknowledged"
        assert again.has_ingested("test:scenario")
    finally:
        again.close()


def test_watch_store_errors_are_clear_and_hide_the_password(tmp_path) -> None:
    app = typer.Typer()
    app.command()(watch)
    src = tmp_path / "x.nmea"
    src.write_text("")
    spec = "postgresql://someone:hunter2secret@127.0.0.1:1/nowhere#s"
    r = CliRunner().invoke(app, [str(src), "--store", spec, "--port", "0", "--no-browser"],
                           env={"SEAWARDEN_HOME": str(tmp_path)})
    assert r.exit_code == 2 and "cannot connect" in r.output
    assert "hunter2secret" not in r.output and "***" in r.output
