"""The `seawarden` command: thin wrappers around the library, one sub-command per job."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="seawarden",
    help="Watch ship traffic over undersea cables and pipelines.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """seawarden: ingest AIS, know the seabed, detect, alert, respond."""


@app.command()
def version() -> None:
    """Print the version."""
    from seawarden import __version__

    typer.echo(__version__)


if __name__ == "__main__":
    app()
