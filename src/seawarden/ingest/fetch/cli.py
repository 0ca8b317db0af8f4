"""`seawarden data ...`: list, fetch and locate the public data sets; serve NMEA as a live TCP feed."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from seawarden.cli_errors import fail as _fail
from seawarden.ingest.fetch.catalog import CatalogError, catalog
from seawarden.ingest.fetch.download import FetchError
from seawarden.ingest.fetch.store import active_mirror, cache_root, dataset_path, fetch

app = typer.Typer(help="Public AIS and seabed data: list, fetch (cached, or from SEAWARDEN_MIRROR), feed.",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=True, highlight=False, soft_wrap=True)


class RichProgress:
    """A rich transfer bar per file (bytes, speed, time left); indeterminate when the size is unknown."""

    def __init__(self, console: Console) -> None:
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                             TimeRemainingColumn(), console=console, transient=False)
        self._task: TaskID | None = None

    def start(self, label: str, total: int | None, done: int) -> None:
        if self._task is None:
            self._bar.start()
        else:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(label, total=total, completed=done)

    def advance(self, n: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, n)

    def finish(self) -> None:
        if self._task is not None:
            self._bar.stop()
            self._task = None


@app.command("list")
def list_sets() -> None:
    """The known data sets, their licences, and whether they are here already."""
    try:
        mirror = active_mirror()
    except FetchError as exc:
        raise _fail(str(exc)) from None
    table = Table(title=f"data sets (mirror: {mirror.location if mirror else 'none'}; cache: {cache_root()})")
    for col in ("name", "kind", "title", "licence", "here"):
        table.add_column(col, overflow="fold")
    for name, ds in catalog().items():
        here = "per day" if ds.dated else ("yes" if dataset_path(name).exists() and ds.kind != "stream" else "")
        table.add_row(name, ds.kind, ds.title, ds.licence, here)
    Console(highlight=False).print(table)


@app.command("fetch")
def fetch_cmd(
    name: str = typer.Argument(..., help="data set name (see `seawarden data list`)"),
    date: Optional[str] = typer.Option(None, "--date", help="day YYYY-MM-DD, for sets published per day"),
    minutes: Optional[float] = typer.Option(None, "--minutes", help="how long to record a live stream"),
    force: bool = typer.Option(False, "--force", help="download again even when cached"),
    mirror: Optional[str] = typer.Option(None, "--mirror", help="folder or URL laid out like ../shared/data "
                                                                "(default: $SEAWARDEN_MIRROR)"),
) -> None:
    """Fetch a data set (or record a live stream) and print its local path."""
    try:
        path = fetch(name, date=date, minutes=minutes, force=force, mirror=mirror, progress=RichProgress(console))
    except (FetchError, CatalogError) as exc:
        raise _fail(str(exc)) from None
    ds = catalog()[name]
    console.print(f"[dim]{ds.licence} -- {ds.attribution}[/dim]")
    print(path)


@app.command("path")
def path_cmd(
    name: str = typer.Argument(...),
    date: Optional[str] = typer.Option(None, "--date"),
    mirror: Optional[str] = typer.Option(None, "--mirror"),
) -> None:
    """Print where a data set is (exit code 1 when it has not been fetched yet)."""
    try:
        path = dataset_path(name, date=date, mirror=mirror)
    except (FetchError, CatalogError) as exc:
        raise _fail(str(exc)) from None
    print(path)
    if not path.exists():
        console.print(f"not fetched yet: seawarden data fetch {name}" + (f" --date {date}" if date else ""))
        raise typer.Exit(code=1)


@app.command("feed")
def feed_cmd(
    source: Path = typer.Argument(..., help="NMEA file (.gz ok) to serve", exists=True, dir_okay=False),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(10110, "--port"),
    rate: float = typer.Option(1000.0, "--rate", help="sentences per second"),
    loop: bool = typer.Option(False, "--loop", help="start over at the end of the file"),
    restamp: bool = typer.Option(False, "--restamp", help="replace each sentence's time by its send time (c: tag)"),
    clients: int = typer.Option(0, "--clients", help="stop after this many clients were served (0: serve forever)"),
) -> None:
    """Serve an NMEA file as a live TCP feed at a chosen rate (for testing a watch set-up)."""
    from seawarden.ingest.fetch.feed import FeedServer, load_sentences

    try:
        sentences = load_sentences(source)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    server = FeedServer(sentences, host=host, port=port, rate=rate, loop=loop, restamp=restamp)
    bound = server.start()
    console.print(f"serving {len(sentences.offsets) - 1} sentences from {source} on tcp://{bound[0]}:{bound[1]} "
                  f"at {rate:g}/s (Ctrl-C stops)")
    try:
        server.wait(clients or None)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    console.print(f"sent {server.sent} sentences to {server.clients_served} client(s)")
