"""Request limits as plain ASGI middleware: body size (413) and a token bucket per caller (429).

Both run before routing and authentication, so an oversized or flooding request costs almost
nothing. The rate key is the presented token (hashed) or, without one, the client address: a
token guesser is throttled like anyone else.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

Scope = dict[str, Any]


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1 << 20
    rate_per_s: float = 50.0  # sustained requests per second per token / address
    burst: int = 100  # bucket size


class TokenBuckets:
    """Leaky-bucket counters per key; ``take(key)`` -> 0 when allowed, else seconds until a token frees."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        self.rate, self.burst, self.clock, self.max_keys = float(rate), float(burst), clock, max_keys
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self.rejected = 0

    def take(self, key: str) -> float:
        now = self.clock()
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._state[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
                self.rejected += 1
            if len(self._state) > self.max_keys:  # forget full buckets (idle callers) first
                full = [k for k, (t, _) in self._state.items() if t >= self.burst - 1]
                for k in full or list(self._state)[: len(self._state) // 2]:
                    self._state.pop(k, None)
        return wait


async def _send_json(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    data = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *headers]})
    await send({"type": "http.response.body", "body": data})


class BodySizeLimit:
    """413 for bodies over ``max_bytes``: by Content-Length at once, or while streaming a chunked body."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_big = {"detail": f"request body larger than {self.max_bytes} bytes"}
        if declared is not None:
            try:
                n = int(declared)
            except ValueError:
                return await _send_json(send, 400, {"detail": "invalid Content-Length"})
            if n > self.max_bytes:
                return await _send_json(send, 413, too_big)
        seen = 0
        over = False
        answered = False

        async def counted_receive():
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # stop reading; whatever the app answers becomes a 413
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal answered
            if not over:
                await send(message)
            elif not answered:
                answered = True
                await _send_json(send, 413, too_big)

        await self.app(scope, counted_receive, guarded_send)
        if over and not answered:
            await _send_json(send, 413, too_big)


def rate_key(scope: Scope) -> str:
    """The presented token (hashed) or the client address."""
    headers = dict(scope.get("headers") or [])
    auth = headers.get(b"authorization", b"").decode("latin-1")
    token = auth.partition(" ")[2].strip() if auth.lower().startswith("bearer ") else ""
    if not token and scope.get("query_string"):
        token = (parse_qs(scope["query_string"].decode("latin-1")).get("token") or [""])[0]
    if token:
        return "t:" + hashlib.sha256(token.encode()).hexdigest()[:24]
    client = scope.get("client") or ("?", 0)
    return f"ip:{client[0]}"


class RateLimit:
    """429 + Retry-After when a caller's bucket is empty (only /api paths; the static page is free)."""

    def __init__(self, app, buckets: TokenBuckets) -> None:
        self.app, self.buckets = app, buckets

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith("/api"):
            wait = self.buckets.take(rate_key(scope))
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                return await _send_json(send, 429, {"detail": f"too many requests; retry in {retry} s"},
                                        [(b"retry-after", retry.encode())])
        await self.app(scope, receive, send)
