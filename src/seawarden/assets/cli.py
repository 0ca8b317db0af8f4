"""`seawarden assets ...`: load, list, show and export the protected infrastructure."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import numpy as np
import shapely
import typer
from rich.console import Console
from rich.table import Table

from seawarden.cli_errors import fail as _fail
from seawarden.assets.adapters import load_path
from seawarden.assets.loaders import AssetLoadError
from seawarden.assets.model import AssetKind, AssetTable
from seawarden.assets.registry import AssetRegistry

app = typer.Typer(help="The seabed: cables, pipelines and areas we protect.", no_args_is_help=True, add_completion=False)

#: Hook for crossings once a track store exists: (assets, asset index, since, until) -> rows,
#: each a dict with at least mmsi, ts, km_point, angle_deg. None = no track store configured.
CrossingsProvider = Callable[[AssetTable, int, datetime, datetime], list[dict[str, Any]]]
_crossings_provider: CrossingsProvider | None = None


_latest_time_provider: Callable[[], datetime | None] | None = None


def set_crossings_provider(provider: CrossingsProvider | None, latest: Callable[[], datetime | None] | None = None) -> None:
    """Let the track store answer `assets show`'s 'crossings of the last 24 h' (ending at ``latest()``)."""
    global _crossings_provider, _latest_time_provider
    _crossings_provider = provider
    _latest_time_provider = latest


def _console() -> Console:
    return Console(width=160, soft_wrap=False)


@app.command()
def load(
    file: Path = typer.Argument(..., help="GeoJSON/GeoPackage/Shapefile/KML file, a known public set, or the shared data folder"),
    kind: Optional[AssetKind] = typer.Option(None, "--kind", help="kind of every feature (else the 'kind' property, or area for polygons)"),
    corridor_m: Optional[float] = typer.Option(None, "--corridor-m", min=0, help="corridor half-width in metres for every feature"),
    criticality: Optional[int] = typer.Option(None, "--criticality", min=1, max=5, help="criticality 1-5 for every feature"),
) -> None:
    """Load assets into the registry (replacing assets with the same ids)."""
    try:
        table = load_path(file, kind=kind, corridor_m=corridor_m, criticality=criticality)
    except AssetLoadError as exc:
        raise _fail(str(exc)) from None
    reg = AssetRegistry()
    added, replaced = reg.upsert(table)
    con = _console()
    con.print(f"loaded {len(table)} assets from {file} ({added} new, {replaced} replaced) into {reg.path}", highlight=False)
    _print_licences(con, table)


@app.command("list")
def list_(kind: Optional[AssetKind] = typer.Option(None, "--kind", help="only this kind")) -> None:
    """List registered assets with kind, criticality, corridor and length."""
    reg = AssetRegistry()
    table = reg.load()
    if kind is not None:
        table = table.take(table.kind == kind.value)
    con = _console()
    if not len(table):
        con.print(f"no assets registered in {reg.path} (use `seawarden assets load FILE`)", highlight=False)
        return
    lengths = table.length_m()
    out = Table(title=f"{len(table)} assets ({reg.path})")
    for col in ("name", "kind", "crit", "corridor m", "length km", "operator", "id"):
        out.add_column(col, overflow="fold")
    for i in np.lexsort((table.name.astype(str), table.kind.astype(str))):
        out.add_row(str(table.name[i]), str(table.kind[i]), str(table.criticality[i]), f"{table.corridor_m[i]:.0f}",
                    f"{lengths[i] / 1000:.1f}", str(table.operator[i] or "")[:40], str(table.id[i]))
    con.print(out)
    _print_licences(con, table)


@app.command()
def show(name: str = typer.Argument(..., help="asset name or id")) -> None:
    """Details of one asset: length, corridor, criticality, licence, recent crossings."""
    table = AssetRegistry().load()
    try:
        i = table.find(name)
    except KeyError as exc:
        raise _fail(exc.args[0]) from None
    g = table.geometry[i]
    x0, y0, x1, y1 = shapely.bounds(g)
    con = _console()
    rows = [("id", table.id[i]), ("name", table.name[i]), ("kind", table.kind[i]), ("operator", table.operator[i] or "unknown"),
            ("criticality", f"{table.criticality[i]} / 5"), ("corridor", f"{table.corridor_m[i]:.0f} m each side"),
            ("length", f"{table.length_m()[i] / 1000:.1f} km ({len(shapely.get_parts(g))} part(s), {shapely.get_num_coordinates(g)} vertices)"),
            ("bounds", f"lon {x0:.4f}..{x1:.4f}, lat {y0:.4f}..{y1:.4f}"),
            ("dataset", table.dataset[i]), ("licence", table.licence[i]), ("attribution", table.attribution[i])]
    attrs = json.loads(table.attributes[i] or "{}")
    rows += [(f"  {k}", json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v) for k, v in attrs.items()]
    for k, v in rows:
        con.print(f"{k:>14}: {v}", highlight=False)
    if _crossings_provider is None:
        con.print(f"{'crossings 24 h':>14}: no track store configured (crossings appear once tracks are stored)", highlight=False)
        return
    # the last 24 h of stored traffic (an archive's "now" is its newest fix, not the wall clock)
    until = _latest_time_provider() if _latest_time_provider is not None else None
    until = until or datetime.now(timezone.utc)
    crossings = _crossings_provider(table, i, until - timedelta(hours=24), until)
    con.print(f"{'crossings 24 h':>14}: {len(crossings)} (until {until.isoformat(timespec='seconds')})", highlight=False)
    for c in crossings:
        con.print(f"{'':>16}{c.get('ts')}  mmsi {c.get('mmsi')}  km {c.get('km_point', float('nan')):.1f}  angle {c.get('angle_deg', float('nan')):.0f} deg", highlight=False)


@app.command()
def export(output: Path = typer.Option(..., "-o", "--output", help="GeoJSON file to write"),
           kind: Optional[AssetKind] = typer.Option(None, "--kind", help="only this kind")) -> None:
    """Export registered assets to GeoJSON (lon/lat WGS84), licence and attribution per feature."""
    table = AssetRegistry().load()
    if kind is not None:
        table = table.take(table.kind == kind.value)
    write_geojson(table, output)
    _console().print(f"wrote {len(table)} assets to {output}", highlight=False)


def write_geojson(table: AssetTable, path: Path) -> None:
    feats = []
    for i in range(len(table)):
        props = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in table.row(i).items() if k not in ("geometry", "attributes")}
        props["attributes"] = json.loads(table.attributes[i] or "{}")
        feats.append({"type": "Feature", "id": table.id[i], "properties": props, "geometry": json.loads(shapely.to_geojson(table.geometry[i]))})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), encoding="utf-8")


def _print_licences(con: Console, table: AssetTable) -> None:
    """Every data set's licence and attribution: TeleGeography's non-commercial terms must be visible."""
    seen: dict[str, tuple[str, str, int]] = {}
    for d, lic, att in zip(table.dataset, table.licence, table.attribution):
        n = seen.get(d, (lic, att, 0))[2]
        seen[d] = (lic, att, n + 1)
    for d, (lic, att, n) in seen.items():
        con.print(f"[dim]{n} from {d}: licence {lic}" + (f"; {att}" if att else "") + "[/dim]", highlight=False)
