"""Sinks: JSON lines, a signed + retried webhook on loopback, a dead receiver, the live hub."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from seawarden.alert import AlertPipeline, JsonlSink, LiveHub, WebhookSink, verify
from seawarden.store.alerts_duckdb import DuckDBAlertStore

SECRET = b"shared-secret-for-tests"
FAST = dict(backoff_initial_s=0.02, backoff_max_s=0.05, timeout_s=1.0)


class Receiver:
    """A webhook receiver on 127.0.0.1 that fails the first `fail_first` requests with 503."""

    def __init__(self, fail_first: int) -> None:
        self.requests: list[tuple[dict, bytes]] = []
        self.fail_left = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                if outer.fail_left > 0:
                    outer.fail_left -= 1
                    self.send_response(503)
                else:
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there any more: connection refused
    return port


@pytest.fixture()
def events(eagle_s_batches):
    return [e for b in eagle_s_batches for e in b]


def test_webhook_deliveries_are_signed_and_retried(events):
    rx = Receiver(fail_first=2)
    hook = WebhookSink(rx.url, SECRET, **FAST)
    store = DuckDBAlertStore.open()
    try:
        changes = AlertPipeline(store, [hook]).handle(events)
        assert changes and hook.flush(10.0)
        assert hook.stats["delivered"] == len(changes) and hook.stats["retries"] == 2
        assert len(rx.requests) == len(changes) + 2
        first_body = rx.requests[0][1]
        assert rx.requests[1][1] == first_body == rx.requests[2][1], "a retry re-sends the same signed body"
        for headers, body in rx.requests:
            assert verify(SECRET, body, headers["X-Seawarden-Signature"])
            assert not verify(b"wrong secret", body, headers["X-Seawarden-Signature"])
            assert not verify(SECRET, body + b" ", headers["X-Seawarden-Signature"])
        got = [json.loads(b) for _, b in rx.requests[2:]]
        assert [g["alert"]["alert_id"] for g in got] == [c.alert.alert_id for c in changes]
        assert got[0]["change"] == "opened" and got[0]["delivery_id"].startswith(changes[0].alert.alert_id)
    finally:
        hook.close()
        rx.close()
        store.close()


def test_dead_receiver_does_not_stall_ingest(events):
    hook = WebhookSink(f"http://127.0.0.1:{_closed_port()}/hook", SECRET, queue_size=2, max_attempts=3, timeout_s=1.0,
                       backoff_initial_s=0.05, backoff_max_s=0.1)
    store = DuckDBAlertStore.open()
    try:
        pipe = AlertPipeline(store, [hook])
        changes = pipe.handle(events)
        # handle() only enqueued: right after it returns the worker is still retrying (each change
        # needs >= 0.15 s of back-off), so ingest did not wait for a single delivery
        assert len(changes) >= 4 and hook.pending > 0 and hook.stats["delivered"] == 0
        assert hook.flush(10.0)
        s = hook.stats
        assert s["dropped"] >= len(changes) - 3, "bounded queue of 2 (+1 in flight) drops the oldest"
        assert s["failed"] >= 1 and s["retries"] == 2 * s["failed"] and s["connection_errors"] == s["attempts"]
        assert s["delivered"] == 0 and s["dropped"] + s["failed"] == len(changes)
    finally:
        hook.close()
        store.close()


def test_jsonl_sink_and_live_hub(tmp_path, events):
    hub = LiveHub()
    sub = hub.subscribe()
    small = hub.subscribe(maxsize=2)
    jsonl = JsonlSink(tmp_path / "alerts.jsonl")
    store = DuckDBAlertStore.open()
    pipe = AlertPipeline(store, [jsonl, hub])
    changes = pipe.handle(events)
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(x)["alert"]["alert_id"] for x in lines] == [c.alert.alert_id for c in changes]
    got = [sub.get(timeout=1) for _ in changes]
    assert [g.alert.alert_id for g in got] == [c.alert.alert_id for c in changes]
    assert sub.get(timeout=0.01) is None
    assert small.dropped == len(changes) - 2 and small.get(timeout=0.1).alert.alert_id == changes[-2].alert.alert_id
    sub.close()
    small.close()
    assert hub.subscribers == 0
    jsonl.close()
    store.close()


def test_live_hub_feeds_asyncio_subscribers_from_another_thread(events):
    hub = LiveHub()
    store = DuckDBAlertStore.open()
    pipe = AlertPipeline(store, [hub])
    expected: list = []

    async def main():
        sub = hub.subscribe_async()
        worker = threading.Thread(target=lambda: expected.extend(pipe.handle(events)))
        worker.start()
        got = []
        while len(got) < 4:
            got.append(await asyncio.wait_for(sub.get(), 5))
        worker.join()
        sub.close()
        return got

    got = asyncio.run(main())
    assert [g.alert.alert_id for g in got] == [c.alert.alert_id for c in expected[:4]]
    store.close()
