"""The `seawarden` command: thin wrappers around the library, one sub-command per job."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from seawarden.cli_errors import fail as _fail
from seawarden.alert import cli as alert_cli
from seawarden.alert.forensics import cli as forensics_cli
from seawarden.assets import cli as assets_cli
from seawarden.detect.pipeline import detect_batches, prefetched
from seawarden.ingest.fetch import cli as fetch_cli
from seawarden.watch import cli as watch_cli
from seawarden.watch.cli import parse_clock

app = typer.Typer(
    name="seawarden",
    help="Watch ship traffic over undersea cables and pipelines.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(assets_cli.app, name="assets", help="The seabed: cables, pipelines and areas we protect.")
app.add_typer(alert_cli.alerts_app, name="alerts")
app.add_typer(alert_cli.risk_app, name="risk")
app.command("suspects")(forensics_cli.suspects)
app.command("watch")(watch_cli.watch)
app.add_typer(fetch_cli.app, name="data")
console = Console(stderr=True, highlight=False, soft_wrap=True)

def _stored_crossings(table, i: int, t0: datetime, t1: datetime) -> list[dict]:
    """Crossings of asset i in the default store, for `assets show` (the suspects analysis, crossings only)."""
    from seawarden.alert.forensics.suspects import rank_suspects
    from seawarden.assets.spatial import AssetIndex
    from seawarden.store import DuckDBStore, default_store_path

    with DuckDBStore(default_store_path(), read_only=True) as db:
        report = rank_suspects(db, AssetIndex.build(table), table.id[i], t0, t1)
    rows = [{"ts": datetime.fromtimestamp(c.ts_ms / 1000, timezone.utc).isoformat(timespec="seconds"), "mmsi": s.mmsi,
             "km_point": c.km_point, "angle_deg": c.angle_deg} for s in report.suspects for c in s.crossings]
    return sorted(rows, key=lambda r: r["ts"])


def _store_latest() -> datetime | None:
    from seawarden.store import DuckDBStore, default_store_path

    with DuckDBStore(default_store_path(), read_only=True) as db:
        last = db.stats().get("last_ts")
    return last


def _wire_store_into_assets() -> None:
    from seawarden.store import default_store_path

    if default_store_path().exists():
        assets_cli.set_crossings_provider(_stored_crossings, _store_latest)


ClockOption = typer.Option(
    None, "--clock",
    help="time for sentences that carry none: 'receive' (time of reading) or an ISO 8601 UTC time; "
         "by default a file without timestamps is an error",
)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        TimeRemainingColumn(), console=console, transient=False, disable=not console.is_terminal,
    )


def _batches(inputs: list[str], clock, quarantine, progress: Progress | None) -> Iterator:
    """Decoded batches of every input in turn, with a progress bar per input."""
    from seawarden.ingest.sources import open_source

    for spec in inputs:
        task = progress.add_task(Path(spec).name, total=None) if progress else None

        def advance(done: int, total: int, task=task) -> None:
            if progress is not None and task is not None:
                progress.update(task, completed=done, total=total)

        try:
            source = open_source(spec, clock=clock, quarantine=quarantine, progress=advance)
            yield from source.batches()
        except (FileNotFoundError, IsADirectoryError, ValueError) as exc:
            raise _fail(str(exc)) from None


def _print_stats(stats, title: str) -> None:
    d = stats.as_dict()
    table = Table(title=title, show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("lines read", f"{d['lines']:,}")
    table.add_row("AIS sentences", f"{d['sentences']:,}")
    for mtype, n in d["messages_by_type"].items():
        table.add_row(f"  messages of type {mtype}", f"{n:,}")
    table.add_row("receptions collapsed (same report, several stations)", f"{d['receptions_collapsed']:,}")
    for reason, n in d["rejected"].items():
        table.add_row(f"[red]rejected: {reason}[/red]", f"{n:,}")
    for reason, n in d["ignored"].items():
        table.add_row(f"ignored: {reason}", f"{n:,}")
    console.print(table)


def _quarantine(path: Optional[Path]):
    from seawarden.ingest.rejects import Quarantine

    return Quarantine(path) if path else None


@app.callback()
def main() -> None:
    """seawarden: ingest AIS, know the seabed, detect, alert, respond."""
    _wire_store_into_assets()


@app.command()
def version() -> None:
    """Print the version."""
    from seawarden import __version__

    typer.echo(__version__)


@app.command()
def decode(
    inputs: list[str] = typer.Argument(..., help="NMEA files (plain or .gz), AIS CSV archives or Parquet"),
    output: Path = typer.Option(..., "-o", "--output", help="OUT.parquet (static and other messages go beside it)"),
    clock: Optional[str] = ClockOption,
    quarantine: Optional[Path] = typer.Option(None, "--quarantine", help="write every rejected line here (JSON lines)"),
) -> None:
    """Decode AIS into Parquet and print counts by message type and rejections by reason."""
    from seawarden.ingest.parquet_out import sibling_paths, write_parquet

    q = _quarantine(quarantine)
    try:
        with _progress() as progress:
            stats = write_parquet(_batches(inputs, parse_clock(clock), q, progress), output)
    finally:
        if q is not None:
            q.close()
    _print_stats(stats, "decode")
    for name, path in sibling_paths(output).items():
        console.print(f"{name}: {path}")


def _asset_index(asset_specs: list[Path] | None):
    """The asset index for detection: the files given, else the saved registry, else none."""
    from seawarden.assets.adapters import load_path
    from seawarden.assets.loaders import AssetLoadError
    from seawarden.assets.model import AssetTable
    from seawarden.assets.registry import AssetRegistry
    from seawarden.assets.spatial import AssetIndex

    try:
        if asset_specs:
            table = AssetTable.concat([load_path(p) for p in asset_specs])
        else:
            reg = AssetRegistry()
            table = reg.load() if reg.exists() else None
    except AssetLoadError as exc:
        raise _fail(str(exc)) from None
    if table is None or len(table) == 0:
        console.print("[yellow]no assets: asset detectors (crossing, drag, loitering, approach) have nothing to watch;"
                      " pass --assets FILE or run `seawarden assets load`[/yellow]")
        return None
    console.print(f"watching {len(table)} assets")
    return AssetIndex.build(table)


def _write_events(events: list, output: Path) -> None:
    from seawarden.detect.event import to_feature_collection

    if output.suffix.lower() in (".geojson", ".json"):
        output.write_text(json.dumps(to_feature_collection(events)))
    else:
        with output.open("w", encoding="utf-8") as fh:
            for ev in events:
                fh.write(ev.to_json() + "\n")


def _summarise_events(events: list) -> None:
    from collections import Counter

    counts = Counter(e.type for e in events)
    table = Table(title=f"{len(events)} events")
    table.add_column("type")
    table.add_column("count", justify="right")
    for kind, n in counts.most_common():
        table.add_row(kind, str(n))
    console.print(table)


@app.command()
def detect(
    inputs: list[str] = typer.Argument(..., help="anything `decode` reads: NMEA (tag blocks, $PGHP), CSV, Parquet"),
    output: Path = typer.Option(..., "-o", "--output", help="events.jsonl (one JSON per event) or events.geojson"),
    assets: Optional[list[Path]] = typer.Option(None, "--assets", help="asset file(s) or the shared data folder; default: the registry"),
    config: Optional[Path] = typer.Option(None, "--config", help="detector configuration (TOML) over the defaults"),
    clock: Optional[str] = ClockOption,
    quarantine: Optional[Path] = typer.Option(None, "--quarantine", help="write every rejected line here"),
) -> None:
    """Run every detector over the input and write the events."""
    from seawarden.detect.config import DetectConfig
    from seawarden.detect.engine import DetectionEngine
    from seawarden.ingest.parquet_out import tee_stats
    from seawarden.ingest.rejects import IngestStats

    try:
        cfg = DetectConfig.load(config)
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from None
    engine = DetectionEngine(cfg, _asset_index(assets), parallel_detectors=True)
    stats = IngestStats()
    events = []
    q = _quarantine(quarantine)

    try:
        with _progress() as progress:
            # decoding and locating batch n+1 in a worker while the detectors (on two threads) work on n
            for new in detect_batches(engine, tee_stats(_batches(inputs, parse_clock(clock), q, progress), stats)):
                events += new
        events += engine.flush()
    finally:
        engine.close()
        if q is not None:
            q.close()
    _write_events(events, output)
    _print_stats(stats, "input")
    _summarise_events(events)
    console.print(f"events: {output}")


@app.command()
def ingest(
    sources: list[str] = typer.Argument(..., help="files (NMEA, CSV, Parquet) or a live feed tcp://host:port, udp://host:port"),
    store: Optional[str] = typer.Option(None, "--store", help="DuckDB file or postgresql://user:pw@host/db[#schema] (default: the user data folder)"),
    assets: Optional[list[Path]] = typer.Option(None, "--assets", help="asset file(s) or the shared data folder; default: the registry"),
    events_out: Optional[Path] = typer.Option(None, "--events", help="also write detected events here (JSON lines)"),
    clock: Optional[str] = ClockOption,
    quarantine: Optional[Path] = typer.Option(None, "--quarantine", help="write every rejected line here"),
    no_detect: bool = typer.Option(False, "--no-detect", help="store only; do not run the detectors"),
    alerts_out: Optional[Path] = typer.Option(None, "--alerts", help="also append alert changes here (JSON lines)"),
) -> None:
    """Ingest AIS into the store, running the detectors and alerting as data arrives.

    Files already ingested are skipped; alerts are de-duplicated, so re-running never repeats them.
    """
    from seawarden.alert.pipeline import AlertPipeline
    from seawarden.alert.sinks import JsonlSink
    from seawarden.detect.engine import DetectionEngine
    from seawarden.ingest.parquet_out import tee_stats
    from seawarden.ingest.rejects import IngestStats
    from seawarden.store import StoreInputError, default_store_path, file_fingerprint, is_postgres_spec, open_store, pipeline_store_for

    if not is_postgres_spec(store):
        store = str(Path(store).expanduser() if store else default_store_path())
        Path(store).parent.mkdir(parents=True, exist_ok=True)
    where = store.split("@")[-1]  # never print a password
    engine = None if no_detect else DetectionEngine(index=_asset_index(assets), parallel_detectors=True)
    events: list = []
    total = IngestStats()
    store_stats: dict | None = None
    q = _quarantine(quarantine)

    changes: list = []
    pipeline = None

    def detecting(batches):
        """Batches in order, each after its events went through the alert pipeline; decoding and
        locating the next batches (engine.prepare, stateless) run in a worker thread meanwhile."""
        if engine is None:
            yield from prefetched(batches)
            return
        for batch, prepared in prefetched(((b, engine.prepare(b)) for b in batches), depth=2):
            new = engine.process(prepared)
            events.extend(new)
            changes.extend(pipeline.handle(new))
            yield batch

    try:
        with open_store(store) as db, _progress() as progress:
            if engine is not None:
                pipeline = AlertPipeline(pipeline_store_for(db), sinks=[JsonlSink(alerts_out)] if alerts_out else [])
            for spec in sources:
                stats = IngestStats()
                batches = detecting(tee_stats(_batches([spec], parse_clock(clock), q, progress), stats))
                if "://" in spec:
                    for batch in batches:  # live feed: append as it arrives, until interrupted
                        db.append(batch)
                elif not db.ingest(batches, fingerprint=file_fingerprint(spec), origin=spec):
                    console.print(f"{spec}: already in the store, skipped")
                    continue
                total.merge(stats)
            if engine is not None:
                last = engine.flush()
                events += last
                changes.extend(pipeline.handle(last))
                pipeline.close()
            store_stats = db.stats()
    except KeyboardInterrupt:
        console.print("interrupted")
    except StoreInputError as exc:
        raise _fail(str(exc)) from None
    finally:
        if engine is not None:
            engine.close()
        if q is not None:
            q.close()
    _print_stats(total, f"ingested into {where}")
    if store_stats is not None:
        console.print(f"store: {store_stats['rows']['positions']:,} positions of {store_stats['vessels']:,} vessels")
    if engine is not None:
        _summarise_events(events)
        opened = sum(1 for c in changes if c.change == "opened")
        console.print(f"alerts: {opened} opened, {len(changes) - opened} other changes (see `seawarden alerts list`)")
        if events_out:
            _write_events(events, events_out)


@app.command("eval")
def evaluate(
    scenario_dir: Path = typer.Argument(..., help="a scenario folder (labels.jsonl) or a suite of them"),
    config: Optional[Path] = typer.Option(None, "--config", help="detector configuration (TOML)"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Score the detectors against labelled scenarios: hits, misses, false alarms, lead time."""
    from seawarden.detect.eval.runner import detect_scenario
    from seawarden.detect.eval.score import EvalInputError, evaluate_dir

    if not scenario_dir.is_dir():
        raise _fail(f"{scenario_dir} is not a folder")
    try:
        reports, total = evaluate_dir(scenario_dir, detect_scenario(config))
    except EvalInputError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps({"scenarios": [r.to_dict() for r in reports], "total": total.to_dict()}, indent=2))
        return
    out = Console()
    for report in reports:
        out.print(report.to_table())
    out.print(total.to_table())


@app.command("scenarios")
def scenarios(
    out_dir: Path = typer.Argument(..., help="where to write the scenario suite"),
    shared_data: Path = typer.Option(Path(os.environ.get("SEAWARDEN_SHARED_DATA", "../shared/data")), "--shared-data",
                                     help="the real data the scenarios are built from"),
    seed: int = typer.Option(20241225, "--seed"),
) -> None:
    """Build the evaluation suite: real tracks with injected, labelled behaviours."""
    from seawarden.detect.eval.scenarios import build_suite

    if not shared_data.is_dir():
        raise _fail(f"real data folder not found: {shared_data} (use --shared-data)")
    built = build_suite(shared_data, out_dir, seed=seed)
    for path in built:
        console.print(str(path))


@app.command("store")
def store_stats(store: Optional[str] = typer.Option(None, "--store", help="DuckDB file or postgresql://user:pw@host/db[#schema]")) -> None:
    """Show what the store holds."""
    from seawarden.store import StoreInputError, open_existing_store

    try:
        db = open_existing_store(store, read_only=True)
    except StoreInputError as exc:
        raise _fail(str(exc)) from None
    with db:
        typer.echo(json.dumps(db.stats(), indent=2, default=str))


if __name__ == "__main__":
    app(sys.argv[1:])
