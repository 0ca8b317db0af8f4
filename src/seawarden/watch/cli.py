"""The `seawarden watch` command (the lead registers it: ``app.command("watch")(watch)``)."""

from __future__ import annotations

import errno
import gc
import socket
import threading
import time
import webbrowser
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from seawarden.cli_errors import fail as _fail

out = Console(stderr=True, highlight=False, soft_wrap=True)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the console's port now, so "port in use" is a clear message before anything heavy starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise _fail(f"port {port} on {host} is already in use (another seawarden watch?): choose one with --port") from None
        raise _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    return sock


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn re-raises Ctrl-C/SIGTERM after its shutdown, which would skip ours (flush detectors, close alerts)."""

        received: list[int] = []

        def handle_exit(self, sig, frame) -> None:
            super().handle_exit(sig, frame)
            self.received.append(sig)
            self._captured_signals.clear()

    return Server


def watch(
    sources: Optional[list[str]] = typer.Argument(None, help="files to replay (NMEA, CSV, Parquet) and/or live feeds tcp://host:port, udp://host:port"),
    speed: Optional[str] = typer.Option(None, "--speed", help="replay speed: 1 (real time), 60, any factor, or max; default 1 (demo: 300, the drag within about two minutes)"),
    loop: bool = typer.Option(False, "--loop", help="replay the files again and again, each pass shifted forward in time"),
    store: Optional[str] = typer.Option(None, "--store", help="DuckDB file or postgresql://user:pw@host/db[#schema] (default: the DuckDB file in the user data folder; demo: demo.duckdb there)"),
    assets: Optional[list[Path]] = typer.Option(None, "--assets", help="asset file(s) or the shared data folder; default: the registry"),
    host: str = typer.Option("127.0.0.1", "--host", help="where the console listens (keep it on loopback unless behind TLS)"),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="0: any free port"),
    tokens: Optional[Path] = typer.Option(None, "--tokens", help="tokens file (TOML); default SEAWARDEN_HOME/tokens.toml, created on first run"),
    demo: bool = typer.Option(False, "--demo", help="no sources: replay the Estlink 2 drag built from real traffic over the real assets"),
    data: Optional[Path] = typer.Option(None, "--data", help="a folder laid out like ../shared/data for --demo (default: fetched via SEAWARDEN_MIRROR or the download cache)"),
    alerts_out: Optional[Path] = typer.Option(None, "--alerts", help="also append alert changes here (JSON lines)"),
    webhook: Optional[str] = typer.Option(None, "--webhook", help="POST alert changes to this URL (HMAC-signed)"),
    webhook_secret: Optional[str] = typer.Option(None, "--webhook-secret", help="HMAC secret for --webhook", envvar="SEAWARDEN_WEBHOOK_SECRET"),
    config: Optional[Path] = typer.Option(None, "--config", help="detector configuration (TOML) over the defaults"),
    alert_config: Optional[Path] = typer.Option(None, "--alert-config", help="alert/risk configuration (TOML) over the defaults"),
    clock: Optional[str] = typer.Option(None, "--clock", help="time for NMEA without timestamps: 'receive' or an ISO time"),
    max_body: int = typer.Option(1 << 20, "--max-body", min=1024, help="largest accepted request body, bytes"),
    rate: float = typer.Option(50.0, "--rate", min=0.1, help="requests per second per token (burst: twice as many)"),
    no_browser: bool = typer.Option(False, "--no-browser", help="do not open the console in a browser"),
) -> None:
    """Run ingest -> detect -> alert continuously and serve the console on HOST:PORT until Ctrl-C."""
    import uvicorn

    from seawarden.alert.config import AlertSettings
    from seawarden.api import Limits, TokenRegistry
    from seawarden.api.auth import TOKENS_FILE, TokenFileError
    from seawarden.assets import AssetLoadError, AssetRegistry, AssetTable, data_home, load_default_assets, load_path
    from seawarden.detect.config import DetectConfig
    from seawarden.store import StoreInputError, StoreVersionError, default_store_path, open_store, redact_dsn
    from seawarden.watch.pacing import parse_speed
    from seawarden.ingest.fetch import FetchError
    from seawarden.ingest.nmea.warmup import warm_up
    from seawarden.watch.demo_data import demo_data_root
    from seawarden.watch.runtime import build, demo_input, file_inputs

    sources = list(sources or [])
    if demo and sources:
        raise _fail("--demo replays the built-in scenario; give either --demo or SOURCES, not both")
    if not demo and not sources:
        raise _fail("nothing to watch: give files or tcp://host:port / udp://host:port, or --demo")
    try:
        factor = parse_speed(speed if speed is not None else ("300" if demo else "1"))
        detect_cfg = DetectConfig.load(config)
        alert_cfg = AlertSettings.load(alert_config)
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from None
    if webhook and not webhook_secret:
        raise _fail("--webhook needs --webhook-secret (or SEAWARDEN_WEBHOOK_SECRET): receivers must verify what they get")
    sock = bind_socket(host, port)
    port = sock.getsockname()[1]
    _Server = _server_class()
    try:
        tokens_path = tokens or data_home() / TOKENS_FILE
        try:
            registry, created = (TokenRegistry.read(tokens_path), False) if tokens else TokenRegistry.load_or_create(tokens_path)
        except TokenFileError as exc:
            raise _fail(str(exc)) from None
        if created:
            out.print(f"created {tokens_path} (mode 600) with new tokens -- shown this once:")
            for name in ("admin", "operator", "viewer"):
                out.print(f"  {name:9s} {registry.token_of(name)}")
        try:
            if demo:
                try:
                    root = demo_data_root(data)
                except FetchError as exc:
                    raise _fail(f"{exc} (or give --data DIR)") from None
                out.print(f"demo: building the Estlink 2 drag scenario and the assets from {root} ...")
                inputs = [demo_input(root)]
                table = assets_table(assets, load_path) if assets else load_default_assets(root)
                asset_registry = None
            else:
                inputs = file_inputs(sources, clock=parse_clock(clock))
                asset_registry = None if assets else AssetRegistry()
                table = assets_table(assets, load_path) if assets else asset_registry.load()
        except (FileNotFoundError, IsADirectoryError, ValueError, AssetLoadError) as exc:
            raise _fail(str(exc)) from None
        if not len(table):
            out.print("[yellow]no assets: crossing/drag/loitering/approach detectors have nothing to watch; "
                      "pass --assets FILE or run `seawarden assets load`[/yellow]")
        path = store or (data_home() / "demo.duckdb" if demo else default_store_path())
        try:
            db = open_store(path)
        except (RuntimeError, ConnectionError, StoreInputError, StoreVersionError) as exc:
            raise _fail(str(exc)) from None
        path = redact_dsn(str(path))  # printed below: never the password
        rt = build(db, inputs, table if len(table) else AssetTable.empty(), registry, speed=factor, loop=loop,
                   registry=asset_registry, detect_config=detect_cfg, alert_settings=alert_cfg, alerts_jsonl=alerts_out,
                   webhook=(webhook, webhook_secret) if webhook else None, limits=Limits(max_body, rate, int(2 * rate) + 1))
        if any(i.live for i in inputs):  # a live feed's first chunks must not wait for numba to compile the decoder
            took = warm_up()
            if took > 1.0:
                out.print(f"compiled the NMEA decoder for live feeds in {took:.0f} s (once after an install: it is cached)")
        # Everything loaded so far (modules, assets, the app) lives as long as the process: freezing it keeps the
        # collector's full passes off that heap. Those passes stop every thread; a 370-alert burst spent 110 of its
        # 170 ms in them (the sentence->alert p99 of bench/live.py).
        gc.collect()
        gc.freeze()
        rt.service.start()
        shown = "localhost" if host in ("127.0.0.1", "::1") else host
        best = registry.best_console_token()
        url = f"http://{shown}:{port}/" + (f"#token={best[1]}" if best else "")
        out.print(f"watching {len(inputs)} input(s) at speed {'max' if factor is None else f'x{factor:g}'}"
                  f"{' (looping)' if loop else ''}; store {path}; {len(table)} assets")
        out.print(f"Console: [bold]{url}[/bold]" + (f"  (token of {best[0]})" if best else ""))
        if not no_browser:
            threading.Timer(1.0, lambda: webbrowser.open(url)).start()
        server = _Server(uvicorn.Config(rt.app, log_level="warning", timeout_graceful_shutdown=3, lifespan="on"))
        started = time.monotonic()
        server.run(sockets=[sock])  # returns on Ctrl-C / SIGTERM
    finally:
        sock.close()
    out.print("stopping: storing what was decoded, closing open events and alerts ...")
    ok = rt.close()
    s = rt.service.stream_stats()
    out.print(f"{s.get('positions', 0):,} positions, {s.get('events', 0):,} events, alert changes {s['alert_changes']} "
              f"in {time.monotonic() - started:.0f} s" + ("" if ok else " [yellow](ingest did not stop in time)[/yellow]"))
    for err in rt.service.errors:
        out.print(f"[red]input error:[/red] {escape(err)}")


def parse_clock(value: str | None):
    """--clock: None, 'receive' or an ISO time (UTC when no offset is given)."""
    from datetime import datetime, timezone

    if value is None or value == "receive":
        return value
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"--clock must be 'receive' or an ISO 8601 time, got {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def assets_table(specs: list[Path], load_path):
    from seawarden.assets import AssetTable

    return AssetTable.concat([load_path(p) for p in specs])
