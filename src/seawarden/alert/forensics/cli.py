"""`seawarden suspects`: the morning-after question, from the command line.

The lead registers it: ``app.command("suspects")(suspects)`` or ``app.add_typer(forensics_app)``.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from seawarden.cli_errors import fail as _fail

app = typer.Typer(help="After-fault forensics: who crossed or lingered over an asset, and why.", no_args_is_help=True,
                  add_completion=False)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def parse_time(value: str, option: str) -> datetime:
    """ISO 8601; a time without offset is UTC (AIS is UTC)."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"{option} {value!r} is not an ISO 8601 time (e.g. 2024-12-25T08:00Z)") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_near(value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lat, lon = (float(x) for x in value.split(","))
    except ValueError:
        raise _fail(f"--near {value!r}: expected LAT,LON in decimal degrees, e.g. 59.93,26.05") from None
    return lat, lon


def _index(asset_files: list[Path] | None):
    from seawarden.assets import AssetIndex, AssetLoadError, AssetRegistry, AssetTable, load_path

    try:
        table = AssetTable.concat([load_path(p) for p in asset_files]) if asset_files else AssetRegistry().load()
    except AssetLoadError as exc:
        raise _fail(str(exc)) from None
    if not len(table):
        raise _fail("no assets: run `seawarden assets load FILE` or pass --assets FILE")
    return AssetIndex.build(table)


@app.command("suspects")
def suspects(
    asset: str = typer.Option(..., "--asset", help="asset name or id, e.g. \"Estlink 2\""),
    t_from: str = typer.Option(..., "--from", help="window start, ISO 8601 (UTC unless an offset is given)"),
    t_to: str = typer.Option(..., "--to", help="window end (exclusive)"),
    near: Optional[str] = typer.Option(None, "--near", help="LAT,LON: only the part of the asset near this point (e.g. the fault)"),
    radius: Optional[float] = typer.Option(None, "--radius", help="km around --near (default from the config, 10 km)"),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv"),
    store: Optional[str] = typer.Option(None, "--store", help="DuckDB file or postgresql://user:pw@host/db[#schema] (default: the user data folder)"),
    assets: Optional[list[Path]] = typer.Option(None, "--assets", help="asset file(s) instead of the registry"),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML merged over the packaged suspects.toml weights"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="show only the top N (table)"),
    evidence: Optional[Path] = typer.Option(None, "--evidence", help="write an evidence pack per top suspect into this folder"),
    evidence_top: int = typer.Option(3, "--evidence-top", min=1, help="how many suspects get an evidence pack"),
    ais_attribution: Optional[str] = typer.Option(None, "--ais-attribution", help="attribution of your AIS feed, printed in evidence packs"),
) -> None:
    """Rank every vessel that crossed or lingered over ASSET between --from and --to, with the reasons and their points."""
    from seawarden.alert.forensics.config import ForensicsInputError, SuspectConfig
    from seawarden.alert.forensics.evidence import subject_for_suspect, write_evidence_pack
    from seawarden.alert.forensics.suspects import rank_suspects
    from seawarden.store import StoreInputError, open_existing_store

    t0, t1 = parse_time(t_from, "--from"), parse_time(t_to, "--to")
    index = _index(assets)
    try:
        cfg = SuspectConfig.load(config)
        with open_existing_store(store, read_only=True) as db:
            report = rank_suspects(db, index, asset, t0, t1, parse_near(near), radius, cfg)
            packs = []
            if evidence is not None:
                for s in report.suspects[:evidence_top]:
                    packs.append(write_evidence_pack(evidence / f"{s.rank:02d}_{s.mmsi}", db, index, subject_for_suspect(report, s),
                                                     ais_attribution=ais_attribution))
    except (ForensicsInputError, StoreInputError) as exc:
        raise _fail(str(exc)) from None
    if fmt is Format.json:
        sys.stdout.write(report.to_json() + "\n")
    elif fmt is Format.csv:
        sys.stdout.write(report.to_csv())
    else:
        Console(width=200).print(report.to_table(limit))
    for p in packs:
        Console(stderr=True).print(f"evidence pack: {p}", highlight=False)
