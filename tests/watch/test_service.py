"""The watch loop on real data: a replay stores, detects and marks the file ingested; a stop mid-replay stores
everything received and closes open events; a live TCP feed through a loopback server."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pyarrow.compute as pc
import pytest

from seawarden.api.auth import TokenRegistry
from seawarden.assets import AssetTable
from seawarden.ingest.sources import open_source
from seawarden.store import DuckDBStore, file_fingerprint
from seawarden.watch.runtime import build, file_inputs

SAMPLE_2013 = "ais_nmea_dma/aisabnormal_ais-sample_2013-11-12.txt.gz"
STREAM_2010 = "ais_nmea_dma/aislib_stream_example_2010-06-11.txt"


def _runtime(db: DuckDBStore, specs: list[str], speed: float | None):
    return build(db, file_inputs(specs), AssetTable.empty(), TokenRegistry(), speed=speed, flush_interval_s=0.2)


def _decoded_positions(path) -> int:
    return sum(b.positions.num_rows for b in open_source(path).batches())


def test_replay_at_max_speed_stores_detects_and_is_not_stored_twice(shared_data: Path, tmp_path: Path):
    path = shared_data / SAMPLE_2013
    want = _decoded_positions(path)
    db = DuckDBStore(tmp_path / "s.duckdb")
    rt = _runtime(db, [str(path)], None)
    rt.service.start()
    assert rt.service.stopped.wait(120), "the replay did not finish"
    s = rt.service.stream_stats()
    assert s["positions"] == want and not rt.service.errors
    assert db.stats()["rows"]["positions"] == want and db.has_ingested(file_fingerprint(path))
    assert s["events"] > 0 and sum(s["events_by_type"].values()) == s["events"]  # gaps, jumps ... on real traffic
    assert db.alert_log().execute("SELECT count(*) FROM events").fetchall()[0][0] > 0
    assert rt.console.feed.stream_ms == pc.max(db.positions_between(*_window())["ts"]).cast("int64").as_py()
    rt.close()
    # the same file again: replayed for the picture, never stored twice
    db2 = DuckDBStore(tmp_path / "s.duckdb")
    rt2 = _runtime(db2, [str(path)], None)
    rt2.service.start()
    assert rt2.service.stopped.wait(120)
    assert db2.stats()["rows"]["positions"] == want
    assert rt2.service.stream_stats()["replayed_not_stored"] == want
    assert rt2.service.stream_stats()["alert_changes"] == {}  # replaying known events notifies nobody
    rt2.close()


def _window():
    from datetime import datetime, timezone

    return datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)


def test_stop_mid_replay_stores_what_was_received_and_closes_open_events(shared_data: Path, tmp_path: Path):
    path = shared_data / SAMPLE_2013
    db = DuckDBStore(tmp_path / "s.duckdb")
    rt = _runtime(db, [str(path)], 20.0)  # a few minutes of traffic at x20: still running when we stop
    rt.service.start()
    deadline = time.monotonic() + 60
    while rt.service.stats["store_appends"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rt.service.stats["store_appends"] >= 2 and not rt.service.replay_done.is_set()
    assert rt.service.stop(30)
    received = rt.service.stats["positions"]
    assert 0 < received < _decoded_positions(path)
    assert db.stats()["rows"]["positions"] == received  # nothing decoded was lost, nothing stored twice
    assert not db.has_ingested(file_fingerprint(path))  # an interrupted replay is not marked complete
    open_events = db.alert_log().execute("SELECT count(*) FROM events WHERE status = 'open'").fetchall()[0][0]
    assert open_events == 0  # the detectors were flushed: every event they had open is closed
    rt.close()


def _serve(payload: bytes) -> tuple[int, threading.Event]:
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    sent = threading.Event()

    def run() -> None:
        conn, _ = srv.accept()
        with conn:
            for i in range(0, len(payload), 8192):  # a feed that trickles in
                conn.sendall(payload[i:i + 8192])
                time.sleep(0.002)
            sent.set()
            time.sleep(30)  # keep the connection open like a live feed
        srv.close()

    threading.Thread(target=run, daemon=True).start()
    return port, sent


def test_live_tcp_feed_through_a_loopback_server(shared_data: Path, tmp_path: Path):
    path = shared_data / STREAM_2010
    want = _decoded_positions(path)
    port, sent = _serve(path.read_bytes())
    db = DuckDBStore(tmp_path / "live.duckdb")
    rt = _runtime(db, [f"tcp://127.0.0.1:{port}"], 1.0)
    rt.service.start()
    assert sent.wait(60)
    deadline = time.monotonic() + 60
    while rt.service.stats["positions"] < want and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rt.service.stop(30)
    assert rt.service.stats["positions"] == want  # the $PGHP times of the real stream, every position report
    assert db.stats()["rows"]["positions"] == want
    assert len(rt.console.feed) == db._one("SELECT count(DISTINCT mmsi) FROM positions WHERE lat IS NOT NULL")[0]
    rt.close()


def test_bad_sources_fail_before_anything_starts(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="input not found"):
        file_inputs([str(tmp_path / "nope.nmea")])
    with pytest.raises(ValueError, match="unsupported source"):
        file_inputs(["kafka://broker:9092"])
    with pytest.raises(ValueError, match="bad port|expected"):
        file_inputs(["tcp://127.0.0.1"])


@pytest.mark.parametrize("detect_rows", [1, 1_000_000])
def test_micro_batched_detection_equals_a_whole_file_run(shared_data: Path, tmp_path: Path, detect_rows: int):
    """One detector call per decoded batch (1) or per drained backlog: the stored events are exactly those of one
    engine call over the whole file (same ids, status, severity, end, payload)."""
    import json

    from seawarden.detect import DetectionEngine
    from seawarden.ingest.batch import DecodedBatch

    path = shared_data / SAMPLE_2013
    engine = DetectionEngine()
    final = {}
    for e in engine.process(DecodedBatch.concat(open_source(path).batches())) + engine.flush():
        final[e.event_id] = (e.status, e.severity, e.end, e.to_json())
    assert final
    db = DuckDBStore(tmp_path / "s.duckdb")
    rt = _runtime(db, [str(path)], None)
    rt.service.detect_rows = detect_rows
    rt.service.start()
    assert rt.service.stopped.wait(120) and not rt.service.errors
    calls = rt.service.stats["detect_calls"]
    assert calls == rt.service.stats["batches"] if detect_rows == 1 else 1 <= calls <= rt.service.stats["batches"]
    rows = db.alert_log().execute("SELECT event_id, status, severity, end_ms, payload FROM events").fetchall()
    got = {eid: (status, sev, end, payload) for eid, status, sev, end, payload in rows}
    assert {k: v[:3] for k, v in got.items()} == {k: v[:3] for k, v in final.items()}
    assert all(json.loads(got[k][3]) == json.loads(final[k][3]) for k in final)
    rt.close()
