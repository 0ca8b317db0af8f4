"""A scriptable HTTP server on loopback (threads) standing in for the upstream data sites."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from seawarden.ingest.fetch import RetryPolicy

FAST_RETRY = RetryPolicy(attempts=3, initial_delay=0.01, timeout=5.0)


@dataclass
class Upstream:
    """Files by URL path, plus scripted misbehaviour per path."""

    files: dict[str, bytes] = field(default_factory=dict)
    fail_first: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (status, how many times)
    truncate_first: dict[str, int] = field(default_factory=dict)  # path -> bytes sent before cutting, once
    ignore_range: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)
    _failed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(up: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            path = self.path
            rng = self.headers.get("Range")
            up.requests.append((path, rng))
            if path in up.fail_first:
                status, times = up.fail_first[path]
                if up._failed[path] < times:
                    up._failed[path] += 1
                    self.send_error(status)
                    return
            if path not in up.files:
                self.send_error(404, "Not Found")
                return
            body = up.files[path]
            start = 0
            if rng and not up.ignore_range:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            cut = up.truncate_first.pop(path, None)
            if cut is not None:
                self.wfile.write(body[start:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body[start:])

    return Handler


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    up = Upstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(up))
    server.daemon_threads = True
    up.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield up
    server.shutdown()
    server.server_close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh SEAWARDEN_HOME and no mirror (each test chooses)."""
    monkeypatch.setenv("SEAWARDEN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SEAWARDEN_MIRROR", raising=False)
    return tmp_path / "home"


class Recorder:
    """Progress sink that remembers what it was told."""

    def __init__(self) -> None:
        self.starts: list[tuple[str, int | None, int]] = []
        self.advanced = 0
        self.finished = 0

    def start(self, label: str, total: int | None, done: int) -> None:
        self.starts.append((label, total, done))

    def advance(self, n: int) -> None:
        self.advanced += n

    def finish(self) -> None:
        self.finished += 1
