"""Health (no token), Prometheus metrics, the configuration in force (admin) and an offline API docs page."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from seawarden import __version__
from seawarden.api.console import Console
from seawarden.api.http import Admin, Viewer, console_of, json_response
from seawarden.detect.event import iso
from seawarden.store.base import to_ms

router = APIRouter(prefix="/api", tags=["system"])


@router.get("/health", summary="Liveness and what the store holds (no token needed)")
def health(request: Request):
    console = console_of(request)
    db = console.readers()
    totals = db.position_totals()
    last_ms = console.feed.stream_ms
    if last_ms is None and totals.last_ts is not None:
        last_ms = to_ms(totals.last_ts)
    return json_response({"status": "ok", "version": __version__, "uptime_s": round(time.monotonic() - console.started_monotonic, 1),
                          "started_at": console.started_at, "last_position": iso(last_ms), "positions": totals.positions,
                          "vessels": totals.vessels,
                          "writable": console.actions is not None})


class ConsoleCollector:
    """Reads the console's counters at scrape time (nothing is counted twice, nothing on the hot path)."""

    def __init__(self, console: Console, broadcaster) -> None:
        self.console, self.broadcaster = console, broadcaster

    def collect(self):
        c = self.console
        stats: dict[str, Any] = c.ingest_stats()
        for key, help_ in (("positions", "position reports ingested"), ("static", "static reports ingested"),
                           ("lines", "input lines / rows read"), ("batches", "decoded batches processed"),
                           ("store_appends", "store append transactions"), ("events", "detector events emitted")):
            m = CounterMetricFamily(f"seawarden_ingest_{key}", help_)
            m.add_metric([], float(stats.get(key, 0)))
            yield m
        rej = CounterMetricFamily("seawarden_ingest_rejected", "input rejected, by reason", labels=["reason"])
        for reason, n in (stats.get("rejected") or {}).items():
            rej.add_metric([str(reason)], float(n))
        yield rej
        ev = CounterMetricFamily("seawarden_events", "detector events, by type", labels=["type"])
        for typ, n in (stats.get("events_by_type") or {}).items():
            ev.add_metric([str(typ)], float(n))
        yield ev
        al = GaugeMetricFamily("seawarden_alerts", "alerts by status", labels=["status"])
        for status, n in c.alert_store().alert_counts().items():
            al.add_metric([status], float(n))
        yield al
        g = GaugeMetricFamily("seawarden_live_subscribers", "live (SSE) subscribers")
        g.add_metric([], float(c.hub.subscribers))
        yield g
        d = CounterMetricFamily("seawarden_live_dropped_alerts", "alert changes dropped by slow live subscribers")
        d.add_metric([], float(self.broadcaster.dropped_alerts))
        yield d
        v = GaugeMetricFamily("seawarden_live_vessels", "vessels in the live picture")
        v.add_metric([], float(len(c.feed)))
        yield v
        lag = GaugeMetricFamily("seawarden_stream_time_seconds", "newest fix time (Unix seconds)")
        if c.feed.stream_ms is not None:
            lag.add_metric([], c.feed.stream_ms / 1000.0)
            yield lag
        up = GaugeMetricFamily("seawarden_uptime_seconds", "seconds since the console started")
        up.add_metric([], time.monotonic() - c.started_monotonic)
        yield up


def metrics_registry(console: Console, broadcaster) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(ConsoleCollector(console, broadcaster))
    return reg


@router.get("/metrics", summary="Prometheus text format", response_class=Response)
def metrics(request: Request, _=Viewer):
    return Response(generate_latest(request.app.state.metrics), media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/config", summary="Detector and alert configuration in force (admin)")
def config(request: Request, _=Admin):
    c = console_of(request)
    return json_response({"detect": c.detect_config, "alert": c.alert_settings.raw,
                          "limits": {"max_body_bytes": c.limits.max_body_bytes, "rate_per_s": c.limits.rate_per_s,
                                     "burst": c.limits.burst},
                          "live": {"push_interval_s": c.push_interval_s, "keepalive_s": c.keepalive_s},
                          "assets": len(c.assets.table)})


_DOCS = """<!doctype html><html><head><meta charset=utf-8><title>seawarden API</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1100px}code{background:#f3f3f3;padding:1px 4px}
h2{border-bottom:1px solid #ccc}.m{display:inline-block;width:60px;font-weight:bold}.d{color:#555;margin-left:66px}</style>
</head><body><h1>seawarden console API</h1><p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>.
Send <code>Authorization: Bearer &lt;token&gt;</code>; roles viewer &lt; operator &lt; admin.</p><div id=ops>loading…</div>
<script>
fetch('/api/openapi.json').then(r=>r.json()).then(spec=>{const out=document.getElementById('ops');out.textContent='';
for(const [path,ops] of Object.entries(spec.paths)){for(const [m,op] of Object.entries(ops)){const p=document.createElement('p');
const b=document.createElement('span');b.className='m';b.textContent=m.toUpperCase();p.appendChild(b);
const c=document.createElement('code');c.textContent=path;p.appendChild(c);const d=document.createElement('div');d.className='d';
d.textContent=(op.summary||'')+((op.parameters||[]).length?' — parameters: '+op.parameters.map(x=>x.name).join(', '):'');
p.appendChild(d);out.appendChild(p);}}});
</script></body></html>"""


@router.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    """A self-contained page (no CDN): Swagger UI and ReDoc load their scripts from the internet."""
    return HTMLResponse(_DOCS)
