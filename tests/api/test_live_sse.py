"""The live stream over a real uvicorn on loopback: the replayed Estlink 2 drag pushes its alert on /api/live,
positions arrive coalesced, and a client that never reads stalls nothing."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from api_support import TOKENS, VIEWER
from seawarden.api import TokenRegistry
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import DuckDBStore
from seawarden.watch.cli import bind_socket
from seawarden.watch.runtime import MemorySource, build
from seawarden.watch.service import Input


def read_sse(url: str, stop: threading.Event, out: list[tuple[str, dict]], until) -> None:
    """Collect (event, data) pairs until ``until(out)`` or ``stop``."""
    with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as c, c.stream("GET", url) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event:
                out.append((event, json.loads(line[6:])))
                event = None
                if until(out) or stop.is_set():
                    return
            elif line.startswith(":"):
                out.append(("keep-alive", {}))


@pytest.fixture()
def served(scenario, estlink, tmp_path):
    """A watch runtime replaying the scenario as fast as possible, its console on a free loopback port (not started)."""
    db = DuckDBStore(tmp_path / "live.duckdb")
    batch = DecodedBatch(positions=scenario.positions)
    inp = Input("scenario", lambda: MemorySource("scenario", batch, rows=250), fingerprint="test:scenario")
    rt = build(db, [inp], estlink, TokenRegistry(TOKENS), speed=None, flush_interval_s=0.2)
    rt.console.push_interval_s = 0.1
    rt.console.stats_interval_s = 0.5
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(rt.app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield rt, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()
    rt.close()


def _alerts_opened(out):
    return [d for e, d in out if e == "alert" and d["change"] == "opened"]


def test_replayed_drag_pushes_its_alert_and_positions(served, scenario):
    rt, base = served
    stop = threading.Event()
    out: list[tuple[str, dict]] = []
    done = threading.Event()

    def until(items):
        return rt.service.stopped.is_set() and any(e == "stats" for e, _ in items[-3:]) and done.is_set()

    reader = threading.Thread(target=read_sse, args=(f"{base}/api/live?token={VIEWER}", stop, out, until), daemon=True)
    reader.start()
    deadline = time.monotonic() + 20
    while rt.console.hub.subscribers == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    rt.service.start()
    assert rt.service.stopped.wait(120)
    time.sleep(1.0)  # let the last positions frame and a stats frame go out
    done.set()
    reader.join(30)
    stop.set()
    events = [e for e, _ in out]
    assert events[0] == "positions" and out[0][1]["snapshot"] is True and out[0][1]["vessels"] == []  # nothing yet
    opened = _alerts_opened(out)
    drag = [a for a in opened if a["mmsi"] == scenario.dragger and a["kind"] == "seabed_threat"]
    assert len(drag) == 1 and drag[0]["asset_name"] == "Estlink 2" and drag[0]["status"] == "open"
    assert drag[0]["key"] == {"mmsi": scenario.dragger, "asset_id": drag[0]["asset_id"], "kind": "seabed_threat"}
    # every alert the store opened was pushed, none twice
    stored = rt.db.alert_log().execute("SELECT count(*) FROM alerts").fetchall()[0][0]
    assert len(opened) == stored == len({a["id"] for a in opened})
    # positions frames: coalesced (one entry per vessel per frame), and together they reach every vessel's newest fix
    frames = [d["vessels"] for e, d in out if e == "positions"]
    assert all(len({v["mmsi"] for v in f}) == len(f) for f in frames)
    assert len(frames) < rt.service.stats["batches"]  # fewer frames than batches: coalesced
    last = {}
    for f in frames:
        for v in f:
            last[v["mmsi"]] = v["ts"]
    assert set(last) == set(scenario.positions["mmsi"].to_pylist())
    assert max(last.values()).startswith("2020-06-30T17:27")  # the demo data end (demo.py SETTLED_S after the last mooring)
    stats = [d for e, d in out if e == "stats"]
    assert stats and stats[-1]["dropped_alerts"] == 0 and stats[-1]["positions"] == scenario.positions.num_rows


def test_a_client_that_never_reads_stalls_nothing(served, scenario):
    rt, base = served
    port = int(base.rsplit(":", 1)[1])
    silent = socket.socket()
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    silent.connect(("127.0.0.1", port))
    silent.sendall(f"GET /api/live?token={VIEWER} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    deadline = time.monotonic() + 20
    while rt.console.hub.subscribers < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop = threading.Event()
    out: list[tuple[str, dict]] = []
    reader = threading.Thread(target=read_sse, args=(f"{base}/api/live?token={VIEWER}", stop, out,
                                                     lambda items: rt.service.stopped.is_set() and bool(_alerts_opened(items))),
                              daemon=True)
    reader.start()
    while rt.console.hub.subscribers < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    rt.service.start()
    assert rt.service.stopped.wait(120), "ingest stalled behind a client that does not read"
    assert rt.service.stats["positions"] == scenario.positions.num_rows
    reader.join(30)
    assert _alerts_opened(out)  # the reading client was served all along
    metrics = httpx.get(f"{base}/api/metrics", headers={"Authorization": f"Bearer {VIEWER}"}).text
    assert "seawarden_live_subscribers 2.0" in metrics or "seawarden_live_subscribers 1.0" in metrics
    silent.close()


def test_position_feed_coalesces_keeps_the_newest_and_formats_like_the_events():
    """update() keeps raw values (cheap on the ingest thread); drain/snapshot format them like detect.event.iso."""
    import pyarrow as pa

    from seawarden.api.feed import PositionFeed
    from seawarden.detect.event import iso
    from seawarden.schema import POSITIONS

    def table(rows):
        cols = {f.name: [r.get(f.name) for r in rows] for f in POSITIONS}
        cols["msg_type"] = [1] * len(rows)
        cols["n_rx"] = [1] * len(rows)
        return pa.Table.from_pydict(cols, schema=POSITIONS)

    feed = PositionFeed()
    t = 1_384_257_600_110
    feed.update(table([{"mmsi": 1, "ts": t, "lat": 55.1234567, "lon": 12.7654321, "sog": 10.04, "cog": 90.06, "heading": 91},
                       {"mmsi": 1, "ts": t + 1000, "lat": 55.2, "lon": 12.8, "sog": None, "cog": None, "heading": None},
                       {"mmsi": 2, "ts": t, "lat": None, "lon": None}]))  # no position: not on the map
    feed.update(table([{"mmsi": 1, "ts": t + 500, "lat": 50.0, "lon": 10.0}]))  # late, older: never moves it back
    moved = feed.drain()
    assert moved == [{"mmsi": 1, "lat": 55.2, "lon": 12.8, "sog": None, "cog": None, "heading": None, "ts": iso(t + 1000)}]
    assert feed.drain() == [] and len(feed) == 1 and feed.stream_ms == t + 1000 and feed.fixes == 4
    feed.update(table([{"mmsi": 3, "ts": t + 2000, "lat": 55.1234567, "lon": 12.7654321, "sog": 10.04, "cog": 90.06,
                        "heading": 91}]))
    assert feed.drain() == [{"mmsi": 3, "lat": 55.123457, "lon": 12.765432, "sog": 10.0, "cog": 90.1, "heading": 91,
                             "ts": iso(t + 2000)}]
    assert [v["mmsi"] for v in feed.snapshot()] == [1, 3]
