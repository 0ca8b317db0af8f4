"""Shared HTTP pieces of the routes: orjson responses, the auth dependencies, time and bbox parsing."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import orjson
from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import Response

from seawarden.api.auth import Principal, Role, bearer
from seawarden.api.console import Console

_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z


def json_response(obj: Any, status: int = 200, media_type: str = "application/json") -> Response:
    """orjson-serialised response: FastAPI's default encoder is ~47x slower on GeoJSON (measured-facts.md)."""
    return Response(orjson.dumps(obj, option=_OPTS, default=_fallback), status_code=status, media_type=media_type)


def _fallback(value: Any) -> Any:
    if hasattr(value, "as_py"):
        return value.as_py()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def console_of(request: Request) -> Console:
    return request.app.state.console


def principal_of(request: Request, allow_query_token: bool = False) -> Principal:
    console = console_of(request)
    token = bearer(request.headers.get("authorization"))
    if token is None and allow_query_token:
        token = request.query_params.get("token")
    if token is None:
        raise HTTPException(401, "a token is required: Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"})
    who = console.tokens.lookup(token)
    if who is None:
        raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    return who


def require(role: Role, *, allow_query_token: bool = False):
    """Dependency: the caller's Principal, at least ``role`` (401 without/with a bad token, 403 below the role)."""

    def dep(request: Request) -> Principal:
        who = principal_of(request, allow_query_token)
        if who.role < role:
            raise HTTPException(403, f"{who.name} is a {who.role.name}; this needs {role.name}")
        return who

    return Depends(dep)


Viewer = require(Role.viewer)
Operator = require(Role.operator)
Admin = require(Role.admin)


def parse_time(value: str | None, name: str) -> datetime | None:
    """ISO 8601; no offset means UTC (AIS is UTC). 422 naming the parameter otherwise."""
    if value is None or value == "":
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(422, f"{name}={value!r} is not an ISO 8601 time (e.g. 2024-12-25T08:00:00Z)") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def ms_to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    try:
        lon0, lat0, lon1, lat1 = (float(x) for x in value.split(","))
    except ValueError:
        raise HTTPException(422, f"bbox={value!r}: expected lon0,lat0,lon1,lat1") from None
    if not (-180 <= lon0 <= 180 and -180 <= lon1 <= 180 and -90 <= lat0 <= lat1 <= 90):
        raise HTTPException(422, f"bbox={value!r}: longitudes in -180..180, latitudes -90..90 with lat0 <= lat1")
    return lon0, lat0, lon1, lat1


Limit = Query(200, ge=1, le=5000, description="at most this many items")
