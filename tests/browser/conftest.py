"""Browser-test fixtures: a real `seawarden watch --demo` process on a free loopback port and headless Chromium.

Chromium comes from Debian (scripts/browser.sh exports SEAWARDEN_CHROMIUM); without it these tests skip with the
reason. The server replays the real-derived Estlink 2 drag scenario fast (REPLAY_SPEED stream seconds per wall
second) into a temporary SEAWARDEN_HOME, so the dragger's alert is raised while the page is open.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "browser"
#: the demo's fixes start ~6.7 h of stream time before the drag is detected: ~25 s at this speed, time enough
#: for the page to load first, and the whole 13 h replay is over in under a minute
REPLAY_SPEED = 1000
CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@dataclass
class WatchServer:
    base: str  # http://127.0.0.1:PORT
    token: str  # the operator token the command printed in its console URL
    log: Path
    proc: subprocess.Popen = field(repr=False)

    @property
    def console_url(self) -> str:
        return f"{self.base}/#token={self.token}"

    def api(self, path: str) -> dict:
        r = httpx.get(f"{self.base}/api/{path}", headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        r.raise_for_status()
        return r.json()

    def log_tail(self, n: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def watch_command() -> list[str]:
    """`seawarden watch` through the project's CLI (the lead registers it there); its own typer command until then."""
    from seawarden import cli

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in cli.app.registered_commands}
    if "watch" in names:
        return [sys.executable, "-c", "from seawarden.cli import app; app()", "watch"]
    return [sys.executable, "-c", "import typer; from seawarden.watch.cli import watch; typer.run(watch)"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("SEAWARDEN_CHROMIUM")
    if not path:
        pytest.skip("SEAWARDEN_CHROMIUM is not set: run `source scripts/browser.sh` (installs Debian chromium)")
    if not os.access(path, os.X_OK):
        pytest.skip(f"SEAWARDEN_CHROMIUM={path} is not an executable")
    return path


@pytest.fixture(scope="module")
def watch_server(shared_data: Path, tmp_path_factory, chromium_path) -> Iterator[WatchServer]:
    home = tmp_path_factory.mktemp("seawarden_home")
    port = free_port()
    log = home / "watch.log"
    env = {**os.environ, "SEAWARDEN_HOME": str(home), "SEAWARDEN_SHARED_DATA": str(shared_data), "NO_COLOR": "1",
           "COLUMNS": "200"}
    cmd = [*watch_command(), "--demo", "--no-browser", "--host", "127.0.0.1", "--port", str(port),
           "--speed", str(REPLAY_SPEED), "--store", str(home / "demo.duckdb"), "--data", str(shared_data)]
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    server = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            m = re.search(r"Console: http://\S+?:\d+/#token=([A-Za-z0-9_\-]+)", log.read_text(errors="replace"))
            if m:
                server = WatchServer(f"http://127.0.0.1:{port}", m.group(1), log, proc)
                break
            if proc.poll() is not None:
                pytest.fail(f"seawarden watch exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        else:
            pytest.fail(f"seawarden watch printed no console URL within 120 s:\n{log.read_text(errors='replace')[-3000:]}")
        while time.monotonic() < deadline:  # the URL is printed just before uvicorn starts accepting
            try:
                if httpx.get(f"{server.base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        print(f"\nseawarden watch serving after {time.monotonic() - started:.1f} s")
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # graceful: flushes the store like an operator's Ctrl-C
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
