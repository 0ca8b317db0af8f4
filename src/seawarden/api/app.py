"""``create_app(console)``: the FastAPI app of the console, routers per area, limits as ASGI middleware."""

from __future__ import annotations

from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from seawarden import __version__
from seawarden.api.console import Console
from seawarden.api.http import json_response
from seawarden.api.limits import BodySizeLimit, RateLimit, TokenBuckets
from seawarden.api.routes import alerts, assets, events, forensics, live, system, vessels

STATIC_DIR = Path(str(resources.files("seawarden.api").joinpath("static")))

_NO_PAGE = """<!doctype html><meta charset=utf-8><title>seawarden</title><p>The console page is not installed
(src/seawarden/api/static/index.html). The API is at <a href="/api/docs">/api/docs</a>.</p>"""


def create_app(console: Console) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.broadcaster.start()
        try:
            yield
        finally:
            await app.state.broadcaster.stop()

    app = FastAPI(title="seawarden console API", version=__version__, lifespan=lifespan,
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,
                  description="Vessels, assets, alerts, events, suspects and evidence of a running `seawarden watch`. "
                              "Bearer tokens with roles viewer < operator < admin; /api/health needs none.")
    app.state.console = console
    app.state.broadcaster = live.Broadcaster(console)
    app.state.metrics = system.metrics_registry(console, app.state.broadcaster)
    app.state.buckets = TokenBuckets(console.limits.rate_per_s, console.limits.burst)
    for r in (system.router, vessels.router, assets.router, alerts.router, events.router, forensics.router, live.router):
        app.include_router(r)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        resp = json_response({"detail": exc.detail}, status=exc.status_code)
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        text = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors)
        return json_response({"detail": text, "errors": errors}, status=422)

    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index():
        page = STATIC_DIR / "index.html"
        return FileResponse(page, headers={"Cache-Control": "no-cache"}) if page.exists() else HTMLResponse(_NO_PAGE)

    app.add_middleware(RateLimit, buckets=app.state.buckets)
    app.add_middleware(BodySizeLimit, max_bytes=console.limits.max_body_bytes)  # outermost: checked first
    return app
