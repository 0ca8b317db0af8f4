"""`seawarden alerts ...` and `seawarden risk ...` (the lead registers ``app``, or the two groups).

    seawarden alerts list [--status open] [--mmsi N] [--asset ID] [--json]
    seawarden alerts ack ID --by WHO
    seawarden alerts resolve ID --by WHO --reason TEXT
    seawarden alerts dismiss ID --by WHO --reason TEXT
    seawarden alerts history ID
    seawarden risk vessel MMSI [--watchlist CSV] [--at now|latest|ISO] [--json]
    seawarden risk asset NAME  [--watchlist CSV] [--at now|latest|ISO] [--json]
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import numpy as np
import pyarrow.compute as pc
import typer
from rich.console import Console
from rich.table import Table

from seawarden.cli_errors import fail as _fail
from seawarden.alert.config import AlertSettings
from seawarden.alert.lifecycle import apply_action
from seawarden.alert.model import STATUSES, LifecycleError
from seawarden.alert.risk import RiskScore, RiskScorer
from seawarden.alert.watchlist import Watchlist, WatchlistError
from seawarden.detect.event import iso

app = typer.Typer(no_args_is_help=True, help="Alerts and risk.")
alerts_app = typer.Typer(no_args_is_help=True, help="Alerts: list them and move them along open -> acknowledged -> resolved|dismissed.")
risk_app = typer.Typer(no_args_is_help=True, help="Explainable risk scores (0-100) of vessels and assets.")
app.add_typer(alerts_app, name="alerts")
app.add_typer(risk_app, name="risk")

StoreOpt = typer.Option(None, "--store", help="DuckDB file or postgresql://user:pw@host/db[#schema] (default: the user data folder)")
ConfigOpt = typer.Option(None, "--config", help="TOML merged over seawarden/alert/defaults.toml")


def _console() -> Console:
    return Console(highlight=False)


def _open(store: Optional[str], read_only: bool):
    from seawarden.store import alert_store_for, open_existing_store

    try:
        return alert_store_for(open_existing_store(store, read_only=read_only))
    except Exception as exc:  # noqa: BLE001 -- missing file, lock, version and connection problems carry clear messages
        raise _fail(str(exc)) from exc


def _settings(config: Optional[Path]) -> AlertSettings:
    try:
        return AlertSettings.load(config)
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from exc


# -- alerts -------------------------------------------------------------------------------------
@alerts_app.command("list")
def list_alerts(
    status: Optional[str] = typer.Option(None, "--status", help=f"one of {', '.join(STATUSES)}"),
    mmsi: Optional[int] = typer.Option(None, "--mmsi"),
    asset: Optional[str] = typer.Option(None, "--asset", help="asset id"),
    limit: int = typer.Option(200, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
    store: Optional[str] = StoreOpt,
) -> None:
    """Alerts, most recently updated first."""
    if status is not None and status not in STATUSES:
        raise _fail(f"--status {status!r}: use one of {', '.join(STATUSES)}")
    db = _open(store, read_only=True)
    try:
        rows = db.list_alerts(status=status, mmsi=mmsi, asset_id=asset, limit=limit)
    finally:
        db.close()
    con = _console()
    if as_json:
        for a in rows:
            print(json.dumps(a.to_dict()))
        return
    t = Table(title=f"{len(rows)} alert(s)")
    for col in ("id", "status", "sev", "kind", "mmsi", "asset", "events", "first event", "last event", "title"):
        t.add_column(col)
    for a in rows:
        t.add_row(a.alert_id, a.status, str(a.severity), a.kind, str(a.mmsi), a.asset_name or "-", str(len(a.event_ids)),
                  iso(a.first_event_ms) or "", iso(a.last_event_ms) or "", a.title)
    con.print(t)


def _act(alert_id: str, action: str, by: str, reason: Optional[str], store: Optional[str]) -> None:
    db = _open(store, read_only=False)
    try:
        change = apply_action(db, alert_id, action, by=by, reason=reason)
    except LifecycleError as exc:
        raise _fail(str(exc)) from exc
    finally:
        db.close()
    a = change.alert
    _console().print(f"{a.alert_id}: {change.transition.from_status} -> {a.status} by {a.status_by} at {change.transition.to_dict()['at']}"
                     + (f" ({a.status_reason})" if a.status_reason else ""))


@alerts_app.command("ack")
def ack(alert_id: str, by: str = typer.Option(..., "--by", help="who acknowledges"),
        reason: Optional[str] = typer.Option(None, "--reason"), store: Optional[str] = StoreOpt) -> None:
    """Acknowledge an open alert (someone is on it)."""
    _act(alert_id, "acknowledge", by, reason, store)


@alerts_app.command("resolve")
def resolve(alert_id: str, by: str = typer.Option(..., "--by"), reason: str = typer.Option(..., "--reason"),
            store: Optional[str] = StoreOpt) -> None:
    """Close an alert as handled (with what was done)."""
    _act(alert_id, "resolve", by, reason, store)


@alerts_app.command("dismiss")
def dismiss(alert_id: str, by: str = typer.Option(..., "--by"), reason: str = typer.Option(..., "--reason"),
            store: Optional[str] = StoreOpt) -> None:
    """Close an alert as not a threat (false positive, exercise...)."""
    _act(alert_id, "dismiss", by, reason, store)


@alerts_app.command("history")
def history(alert_id: str, store: Optional[str] = StoreOpt) -> None:
    """Every transition of one alert: openings, escalations, growth and operator actions."""
    db = _open(store, read_only=True)
    try:
        if db.get(alert_id) is None:
            raise _fail(f"no alert with id {alert_id!r}")
        rows = db.history(alert_id)
    finally:
        db.close()
    t = Table(title=f"history of {alert_id}")
    for col in ("#", "at", "action", "from", "to", "sev", "by", "reason", "event"):
        t.add_column(col)
    for h in rows:
        d = h.to_dict()
        t.add_row(str(h.seq), d["at"], h.action, h.from_status or "-", h.to_status, str(h.severity), h.by or "",
                  h.reason or "", h.event_id or "")
    _console().print(t)


# -- risk ---------------------------------------------------------------------------------------
def _at_ms(at: str, events) -> int:
    if at == "now":
        return int(datetime.now(timezone.utc).timestamp() * 1000)
    if at == "latest":
        v = pc.max(pc.coalesce(events["end_ms"], events["detected_ms"])).as_py() if events.num_rows else None
        return int(v) if v is not None else int(datetime.now(timezone.utc).timestamp() * 1000)
    try:
        t = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"--at {at!r}: use now, latest or an ISO time like 2024-12-25T12:00Z") from None
    if t.tzinfo is None:
        raise _fail(f"--at {at!r} has no time zone; add Z or +hh:mm")
    return int(t.timestamp() * 1000)


def _scorer(settings: AlertSettings, watchlist: Optional[Path]) -> RiskScorer:
    from seawarden.assets.registry import AssetRegistry

    wl = None
    if watchlist is not None:
        try:
            wl = Watchlist.read_csv(watchlist)
        except WatchlistError as exc:
            raise _fail(str(exc)) from exc
    reg = AssetRegistry()
    if reg.exists():
        return RiskScorer.with_assets(reg.load(), settings=settings, watchlist=wl)
    return RiskScorer(settings, watchlist=wl)


def _print_score(score: RiskScore, as_json: bool) -> None:
    if as_json:
        print(json.dumps(score.to_dict()))
        return
    t = Table(title=f"{score.subject}: risk {score.total:.1f} / 100 at {iso(score.at_ms)}")
    for col in ("points", "weight", "x factor", "from", "why", "ref"):
        t.add_column(col)
    for e in score.breakdown:
        t.add_row(f"{e.points:.2f}", f"{e.weight:g}", f"{e.factor:.3f}", e.source, e.reason, e.ref)
    _console().print(t)


@risk_app.command("vessel")
def risk_vessel(mmsi: int, watchlist: Optional[Path] = typer.Option(None, "--watchlist", help="CSV of mmsi/imo/name"),
                at: str = typer.Option("now", "--at", help="now | latest (newest event in the log) | ISO time"),
                as_json: bool = typer.Option(False, "--json"), store: Optional[str] = StoreOpt,
                config: Optional[Path] = ConfigOpt) -> None:
    """Risk of one vessel, every point with the event or fact it comes from."""
    settings = _settings(config)
    db = _open(store, read_only=True)
    try:
        events = db.events(mmsis=[mmsi])
        static = db.store.static_latest([mmsi])
    finally:
        db.close()
    scorer = _scorer(settings, watchlist)
    _print_score(scorer.score_vessels([mmsi], events, _at_ms(at, events), static).explain(mmsi), as_json)


@risk_app.command("asset")
def risk_asset(name: str, watchlist: Optional[Path] = typer.Option(None, "--watchlist"),
               at: str = typer.Option("now", "--at", help="now | latest | ISO time"),
               as_json: bool = typer.Option(False, "--json"), store: Optional[str] = StoreOpt,
               config: Optional[Path] = ConfigOpt) -> None:
    """Risk of one asset (by name or id): its criticality, the events at it and the vessels involved."""
    settings = _settings(config)
    scorer = _scorer(settings, watchlist)
    db = _open(store, read_only=True)
    try:
        log = db.events()
        names = np.asarray(log["asset_name"].to_numpy(zero_copy_only=False), dtype=object)
        ids = np.asarray(log["asset_id"].to_numpy(zero_copy_only=False), dtype=object)
        from seawarden.assets.model import name_key

        asset_id = name if name in scorer.asset_names or name in set(ids) else None
        if asset_id is None:
            by_name = {name_key(v): k for k, v in scorer.asset_names.items()}
            by_name.update({name_key(str(n)): str(i) for n, i in zip(names, ids) if n})
            asset_id = by_name.get(name_key(name))
        if asset_id is None:
            raise _fail(f"no asset named or with id {name!r} in the registry or the event log")
        logged_names = {str(i): str(n) for n, i in zip(names, ids) if n}
        scorer.asset_names.setdefault(asset_id, logged_names.get(asset_id, asset_id))
        events = db.events(asset_ids=[asset_id])
        mmsis = sorted(set(events["mmsi"].to_pylist()))
        static = db.store.static_latest(mmsis) if mmsis else None
    finally:
        db.close()
    table = scorer.score_assets([asset_id], events, _at_ms(at, events), static)
    _print_score(table.explain(asset_id), as_json)
