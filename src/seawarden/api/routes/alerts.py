"""Alerts: list, one with its history, and the operator's acknowledge / resolve / dismiss."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from seawarden.alert.model import STATUSES, LifecycleError
from seawarden.api.auth import Principal
from seawarden.api.http import Limit, Operator, Viewer, console_of, json_response
from seawarden.api.queries import alert_json

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


class ActionBody(BaseModel):
    reason: str | None = Field(None, max_length=2000, description="why (required to resolve or dismiss)")


@router.get("", summary="Alerts, most recently updated first")
def list_alerts(request: Request, status: str | None = Query(None, description=" | ".join(STATUSES)),
                mmsi: int | None = None, asset_id: str | None = None, limit: int = Limit, _=Viewer):
    if status is not None and status not in STATUSES:
        raise HTTPException(422, f"status={status!r}: one of {', '.join(STATUSES)}")
    rows = console_of(request).alert_store().list_alerts(status=status, mmsi=mmsi, asset_id=asset_id, limit=limit)
    return json_response([alert_json(a) for a in rows])


def _detail(console, alert_id: str) -> dict:
    store = console.alert_store()
    a = store.get(alert_id)
    if a is None:
        raise HTTPException(404, f"no alert with id {alert_id!r}")
    return alert_json(a, history=[t.to_dict() for t in store.history(alert_id)])


@router.get("/{alert_id}", summary="One alert with its full history")
def get_alert(request: Request, alert_id: str, _=Viewer):
    return json_response(_detail(console_of(request), alert_id))


def _act(request: Request, alert_id: str, action: str, who: Principal, body: ActionBody | None):
    console = console_of(request)
    if console.actions is None:
        raise HTTPException(503, "this console is read-only (no ingest process owns the store)")
    if console.alert_store().get(alert_id) is None:
        raise HTTPException(404, f"no alert with id {alert_id!r}")
    reason = body.reason if body is not None else None
    if action != "acknowledge" and not (reason and reason.strip()):
        raise HTTPException(422, f"{action} needs a reason")
    try:
        console.actions.act(alert_id, action, who.name, reason)
    except LifecycleError as exc:
        raise HTTPException(409, str(exc)) from None
    return json_response(_detail(console, alert_id))


@router.post("/{alert_id}/acknowledge", summary="open -> acknowledged (operator)")
def acknowledge(request: Request, alert_id: str, body: ActionBody | None = None, who: Principal = Operator):
    return _act(request, alert_id, "acknowledge", who, body)


@router.post("/{alert_id}/resolve", summary="open|acknowledged -> resolved, with a reason (operator)")
def resolve(request: Request, alert_id: str, body: ActionBody, who: Principal = Operator):
    return _act(request, alert_id, "resolve", who, body)


@router.post("/{alert_id}/dismiss", summary="open|acknowledged -> dismissed, with a reason (operator)")
def dismiss(request: Request, alert_id: str, body: ActionBody, who: Principal = Operator):
    return _act(request, alert_id, "dismiss", who, body)
