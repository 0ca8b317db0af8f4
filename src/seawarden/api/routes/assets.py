"""Assets (protected infrastructure): the map layer with risk, one asset's breakdown, admin load/delete."""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from fastapi import APIRouter, HTTPException, Request

from seawarden.alert.forensics.config import ForensicsInputError
from seawarden.alert.forensics.suspects import rank_suspects
from seawarden.api.http import Admin, Viewer, console_of, json_response, ms_to_dt
from seawarden.assets.loaders import AssetLoadError, read_asset_file
from seawarden.detect.event import iso

router = APIRouter(prefix="/api/assets", tags=["assets"])
_DAY_MS = 86_400_000


def _geometries(state) -> list[dict]:
    """GeoJSON geometries of the current table, computed once per table (cables have many vertices)."""
    cache = getattr(state, "_geojson_cache", None)
    if cache is None or cache[0] is not state.table:
        geo = [json.loads(g) for g in shapely.to_geojson(state.table.geometry, indent=None)] if len(state.table) else []
        cache = (state.table, geo)
        state._geojson_cache = cache
    return cache[1]


def _asset_risk(console, ids: list[str], now_ms: int):
    scorer = console.scorer()
    for i, name in zip(console.assets.table.id, console.assets.table.name):
        scorer.asset_names.setdefault(str(i), str(name))
    since = now_ms - int(float(scorer.r["horizon_days"]) * _DAY_MS)
    store = console.alert_store()
    events = store.events(asset_ids=ids, since_ms=since)
    mmsis = sorted(set(events["mmsi"].to_pylist()))
    static = store.store.static_latest(mmsis) if mmsis else None
    return scorer.score_assets(ids, events, now_ms, static)


def _props(t, i: int) -> dict[str, Any]:
    return {"id": str(t.id[i]), "name": str(t.name[i]), "kind": str(t.kind[i]), "operator": t.operator[i],
            "criticality": int(t.criticality[i]), "corridor_m": float(t.corridor_m[i]), "dataset": str(t.dataset[i]),
            "licence": str(t.licence[i]), "attribution": str(t.attribution[i])}


@router.get("", summary="Every asset as GeoJSON, with risk 0-100 and its top three reasons")
def assets(request: Request, _=Viewer):
    console = console_of(request)
    t = console.assets.table
    geoms = _geometries(console.assets)
    ids = [str(x) for x in t.id]
    table = _asset_risk(console, ids, console.now_ms()) if ids else None
    features = []
    for i, aid in enumerate(ids):
        score = table.explain(aid)
        props = _props(t, i) | {"risk": round(score.total, 2), "risk_entries": [e.to_dict() for e in score.breakdown[:3]]}
        features.append({"type": "Feature", "id": aid, "geometry": geoms[i], "properties": props})
    return json_response({"type": "FeatureCollection", "features": features}, media_type="application/geo+json")


@router.get("/{asset_id}", summary="One asset: full risk breakdown, events and the crossings of the last 24 h")
def asset(request: Request, asset_id: str, _=Viewer):
    console = console_of(request)
    t = console.assets.table
    try:
        i = t.find(asset_id)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    aid = str(t.id[i])
    now = console.now_ms()
    score = _asset_risk(console, [aid], now).explain(aid)
    db = console.readers()
    crossings: list[dict] = []
    if console.assets.index is not None:
        try:
            report = rank_suspects(db, console.assets.index, aid, ms_to_dt(now - _DAY_MS), ms_to_dt(now + 1))
            crossings = sorted(({"ts": iso(c.ts_ms), "mmsi": s.mmsi, "name": s.name, "km_point": round(c.km_point, 3),
                                 "angle_deg": round(c.angle_deg, 1), "sog_at_kn": None if not np.isfinite(c.sog_at_kn) else round(c.sog_at_kn, 1)}
                                for s in report.suspects for c in s.crossings), key=lambda r: r["ts"])
        except ForensicsInputError:
            crossings = []
    props = _props(t, i) | {"risk": round(score.total, 2), "risk_breakdown": [e.to_dict() for e in score.breakdown],
                            "attributes": json.loads(t.attributes[i] or "{}"), "crossings": crossings,
                            "events": console.alert_store().event_payloads(asset_id=aid, limit=100), "at": iso(now)}
    return json_response({"type": "Feature", "id": aid, "geometry": _geometries(console.assets)[i], "properties": props},
                         media_type="application/geo+json")


@router.post("", summary="Load assets from a GeoJSON FeatureCollection (admin); same ids are replaced")
async def load_assets(request: Request, _=Admin):
    console = console_of(request)
    body = await request.body()
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise HTTPException(422, f"body is not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise HTTPException(422, "body must be a GeoJSON FeatureCollection")
    if not doc["features"]:
        raise HTTPException(422, "the FeatureCollection has no features")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "request.geojson"
        path.write_bytes(body)
        try:
            table = read_asset_file(path)
        except AssetLoadError as exc:
            raise HTTPException(422, str(exc).replace(str(path), "request body")) from None
    try:
        added, replaced = console.assets.upsert(table)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    console.risk = None  # criticality and names come from the asset table
    return json_response({"added": added, "replaced": replaced, "ids": [str(x) for x in table.id], "total": len(console.assets.table)})


@router.delete("/{asset_id}", summary="Remove an asset (admin)")
def delete_asset(request: Request, asset_id: str, _=Admin):
    console = console_of(request)
    if not console.assets.remove(asset_id):
        raise HTTPException(404, f"no asset with id {asset_id!r}")
    console.risk = None
    return json_response({"deleted": asset_id, "total": len(console.assets.table)})
