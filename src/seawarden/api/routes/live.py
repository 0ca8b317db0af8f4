"""GET /api/live: Server-Sent Events of positions (coalesced, ~2/s), alert changes, stats and keep-alives.

Nothing here can slow ingest: the loop only writes into the PositionFeed (a dict under a lock)
and the LiveHub (call_soon_threadsafe). Each client keeps a per-vessel dict of positions not yet
sent -- a slow client skips intermediate fixes but always gets each vessel's newest -- and a
bounded alert queue that drops its oldest change when full; drops are counted, reported to the
client in `event: stats` and exported as a metric.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from seawarden.alert.model import AlertChange
from seawarden.api.auth import Role
from seawarden.api.console import Console
from seawarden.api.http import console_of, require
from seawarden.api.queries import alert_json
from seawarden.detect.event import iso

router = APIRouter(prefix="/api", tags=["live"])

#: pipeline change names -> the contract's names
CHANGE_NAMES = {"grew": "updated"}


def sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n\n"


def change_payload(c: AlertChange) -> dict[str, Any]:
    return alert_json(c.alert, change=CHANGE_NAMES.get(c.change, c.change), transition=c.transition.to_dict(),
                      event_ids=list(c.event_ids))


class LiveClient:
    def __init__(self) -> None:
        self.pending: dict[int, dict[str, Any]] = {}
        self.wake = asyncio.Event()
        self.frames_sent = 0


class Broadcaster:
    """One task per app: drains the PositionFeed every push interval into every client's pending dict."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.clients: set[LiveClient] = set()
        self.dropped_alerts_closed = 0  # alert changes lost by clients that have since gone
        self.subs: set[Any] = set()
        self._task: asyncio.Task | None = None

    @property
    def dropped_alerts(self) -> int:
        return self.dropped_alerts_closed + sum(s.dropped for s in list(self.subs))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.console.push_interval_s)
            moved = self.console.feed.drain()
            if not moved or not self.clients:
                continue
            for c in list(self.clients):
                for v in moved:
                    c.pending[v["mmsi"]] = v
                c.wake.set()


async def _events(request: Request, console: Console, hub_sub, client: LiveClient, bc: Broadcaster) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    snapshot = console.feed.snapshot()
    yield b"retry: 3000\n\n"
    yield sse("positions", {"t": iso(console.feed.stream_ms), "vessels": snapshot, "snapshot": True})
    next_stats = loop.time()
    get_task: asyncio.Task | None = None
    try:
        while True:
            if loop.time() >= next_stats:
                yield sse("stats", {"t": iso(console.feed.stream_ms), "vessels": len(console.feed), "fixes": console.feed.fixes,
                                    "subscribers": console.hub.subscribers, "dropped_alerts": hub_sub.dropped,
                                    **{k: v for k, v in console.ingest_stats().items() if isinstance(v, (int, float, str))}})
                next_stats = loop.time() + console.stats_interval_s
            if get_task is None:
                get_task = asyncio.ensure_future(hub_sub.get())
            wake_task = asyncio.ensure_future(client.wake.wait())
            timeout = min(console.keepalive_s, max(0.05, next_stats - loop.time()))
            done, _ = await asyncio.wait({get_task, wake_task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            wake_task.cancel()
            if get_task in done:
                changes = [get_task.result()]
                get_task = None
                while not hub_sub._queue.empty():
                    changes.append(hub_sub._queue.get_nowait())
                # one write for a burst: a few hundred alerts opened by one detector call were one send each
                yield b"".join(sse("alert", change_payload(c)) for c in changes)
            if client.pending:
                client.wake.clear()
                vessels, client.pending = list(client.pending.values()), {}
                client.frames_sent += 1
                yield sse("positions", {"t": iso(console.feed.stream_ms), "vessels": vessels})
            elif not done:
                yield b": keep-alive\n\n"
            client.wake.clear()
    finally:
        if get_task is not None:
            get_task.cancel()
        bc.clients.discard(client)
        bc.subs.discard(hub_sub)
        bc.dropped_alerts_closed += hub_sub.dropped
        hub_sub.close()


@router.get("/live", summary="Server-Sent Events: positions, alert changes, stats (token also as ?token= for EventSource)",
            response_class=StreamingResponse)
async def live(request: Request, _=require(Role.viewer, allow_query_token=True)):
    console = console_of(request)
    bc: Broadcaster = request.app.state.broadcaster
    hub_sub = console.hub.subscribe_async()
    client = LiveClient()
    bc.clients.add(client)
    bc.subs.add(hub_sub)
    return StreamingResponse(_events(request, console, hub_sub, client, bc), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
