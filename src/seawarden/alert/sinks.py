"""Where alert changes go: a JSON-lines file, a signed webhook, and a live in-process hub.

Rule for every sink: ``emit(changes)`` returns at once and never raises on a slow or dead
receiver, because it runs on the ingest path. The webhook hands work to a background thread
through a bounded queue that drops its OLDEST entry when full (counted); the live hub gives
each subscriber its own bounded queue with the same policy.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

from seawarden.alert.config import AlertSettings
from seawarden.alert.model import AlertChange

log = logging.getLogger(__name__)


def change_json(change: AlertChange, **extra: Any) -> bytes:
    return json.dumps({**change.to_dict(), **extra}, separators=(",", ":"), allow_nan=False, sort_keys=True).encode()


def sign(secret: bytes, body: bytes) -> str:
    """The signature header value: ``sha256=`` + hex HMAC-SHA256 of the raw body (GitHub's convention)."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str) -> bool:
    """Receiver side: constant-time check of a signature header."""
    return hmac.compare_digest(sign(secret, body), header or "")


class JsonlSink:
    """Appends one JSON object per change to a file (an audit trail a SIEM can tail)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 -- kept open for the sink's life
        self.written = 0

    def emit(self, changes: Sequence[AlertChange]) -> None:
        self._fh.write("".join(change_json(c).decode() + "\n" for c in changes))
        self._fh.flush()
        self.written += len(changes)

    def close(self) -> None:
        self._fh.close()


class WebhookSink:
    """POSTs each change as JSON, signed with HMAC-SHA256, retried with exponential back-off.

    Delivery runs on one daemon thread; the queue holds at most ``queue_size`` changes and
    drops the oldest when a dead receiver lets it fill up. ``stats`` counts delivered,
    attempts, retries, dropped (queue overflow), failed (gave up after max_attempts) and
    rejected (a 4xx answer other than 408/429: retrying will not help).
    """

    def __init__(self, url: str, secret: str | bytes, settings: AlertSettings | None = None, **overrides: Any) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook url must be http(s)://..., got {url!r}")
        cfg = {**(settings or AlertSettings.load()).webhook, **overrides}
        unknown = set(overrides) - set((settings or AlertSettings.load()).webhook)
        if unknown:
            raise ValueError(f"webhook: unknown setting(s) {sorted(unknown)}")
        self.url = url
        self.secret = secret.encode() if isinstance(secret, str) else bytes(secret)
        if not self.secret:
            raise ValueError("webhook: an empty secret would make the signature meaningless")
        self.timeout_s = float(cfg["timeout_s"])
        self.max_attempts = int(cfg["max_attempts"])
        self.backoff_initial_s = float(cfg["backoff_initial_s"])
        self.backoff_max_s = float(cfg["backoff_max_s"])
        self.signature_header = str(cfg["signature_header"])
        self.timestamp_header = str(cfg["timestamp_header"])
        self.stats: Counter[str] = Counter()
        self._queue: deque[AlertChange] = deque()
        self._maxlen = int(cfg["queue_size"])
        self._cv = threading.Condition()
        self._busy = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="seawarden-webhook", daemon=True)
        self._thread.start()

    def emit(self, changes: Sequence[AlertChange]) -> None:
        with self._cv:
            for c in changes:
                if len(self._queue) >= self._maxlen:
                    self._queue.popleft()
                    self.stats["dropped"] += 1
                self._queue.append(c)
            self.stats["queued"] += len(changes)
            self._cv.notify()

    @property
    def pending(self) -> int:
        with self._cv:
            return len(self._queue) + (1 if self._busy else 0)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued was delivered or given up; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = 2.0) -> None:
        """Stop the worker (undelivered changes are counted as dropped)."""
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        self._thread.join(timeout)
        with self._cv:
            self.stats["dropped"] += len(self._queue)
            self._queue.clear()

    # -- worker -------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cv:
                while not self._queue and not self._stop.is_set():
                    self._cv.wait(0.5)
                if self._stop.is_set():
                    return
                change = self._queue.popleft()
                self._busy = True
            try:
                self._deliver(change)
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()

    def _deliver(self, change: AlertChange) -> None:
        ts = str(int(time.time()))
        body = change_json(change, delivery_id=f"{change.alert.alert_id}:{change.transition.seq}", sent_at=int(ts))
        headers = {"Content-Type": "application/json", "User-Agent": "seawarden-alerts",
                   self.signature_header: sign(self.secret, body), self.timestamp_header: ts}
        delay = self.backoff_initial_s
        for attempt in range(1, self.max_attempts + 1):
            self.stats["attempts"] += 1
            if attempt > 1:
                self.stats["retries"] += 1
            status = self._post(body, headers)
            if status is not None and 200 <= status < 300:
                self.stats["delivered"] += 1
                return
            if status is not None and 400 <= status < 500 and status not in (408, 429):
                self.stats["rejected"] += 1
                log.warning("webhook %s rejected %s with HTTP %s", self.url, change.alert.alert_id, status)
                return
            if attempt < self.max_attempts and self._stop.wait(delay):
                return  # closing: the change counts as dropped in close()
            delay = min(delay * 2.0, self.backoff_max_s)
        self.stats["failed"] += 1
        log.warning("webhook %s: gave up on %s after %d attempts", self.url, change.alert.alert_id, self.max_attempts)

    def _post(self, body: bytes, headers: dict[str, str]) -> int | None:
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310 -- http(s) checked in __init__
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            self.stats["connection_errors"] += 1
            log.debug("webhook %s: %s", self.url, exc)
            return None


class _Subscription:
    def __init__(self, hub: "LiveHub", maxsize: int) -> None:
        self.hub, self.maxsize, self.dropped = hub, maxsize, 0

    def close(self) -> None:
        self.hub._remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Subscription(_Subscription):
    """A thread-side subscriber: ``get(timeout)`` or iterate."""

    def __init__(self, hub: "LiveHub", maxsize: int) -> None:
        super().__init__(hub, maxsize)
        self._items: deque[AlertChange] = deque()
        self._cv = threading.Condition()

    def _offer(self, change: AlertChange) -> None:
        with self._cv:
            if len(self._items) >= self.maxsize:
                self._items.popleft()
                self.dropped += 1
            self._items.append(change)
            self._cv.notify()

    def get(self, timeout: float | None = None) -> AlertChange | None:
        with self._cv:
            if not self._cv.wait_for(lambda: bool(self._items), timeout):
                return None
            return self._items.popleft()

    def __iter__(self) -> Iterator[AlertChange]:
        while True:
            item = self.get()
            if item is not None:
                yield item


class AsyncSubscription(_Subscription):
    """An asyncio-side subscriber (SSE / WebSocket handlers): ``async for change in sub``.

    Publishing threads hand items to the subscriber's event loop with call_soon_threadsafe, so
    the ingest thread never waits for the loop.
    """

    def __init__(self, hub: "LiveHub", maxsize: int) -> None:
        super().__init__(hub, maxsize)
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[AlertChange] = asyncio.Queue()

    def _offer(self, change: AlertChange) -> None:
        self._loop.call_soon_threadsafe(self._put, change)

    def _put(self, change: AlertChange) -> None:  # runs in the loop
        if self._queue.qsize() >= self.maxsize:
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(change)

    async def get(self) -> AlertChange:
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[AlertChange]:
        return self

    async def __anext__(self) -> AlertChange:
        return await self._queue.get()


class LiveHub:
    """In-process fan-out of alert changes to any number of live subscribers (the console's SSE/WebSocket)."""

    def __init__(self, settings: AlertSettings | None = None) -> None:
        self.queue_size = int((settings or AlertSettings.load()).live["queue_size"])
        self._subs: list[_Subscription] = []
        self._lock = threading.Lock()
        self.published = 0

    def subscribe(self, maxsize: int | None = None) -> Subscription:
        sub = Subscription(self, maxsize or self.queue_size)
        with self._lock:
            self._subs.append(sub)
        return sub

    def subscribe_async(self, maxsize: int | None = None) -> AsyncSubscription:
        """Call from inside the running event loop that will consume the changes."""
        sub = AsyncSubscription(self, maxsize or self.queue_size)
        with self._lock:
            self._subs.append(sub)
        return sub

    def _remove(self, sub: _Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    def emit(self, changes: Sequence[AlertChange]) -> None:
        with self._lock:
            subs = list(self._subs)
        for c in changes:
            for s in subs:
                try:
                    s._offer(c)
                except RuntimeError:  # the subscriber's event loop is closed: forget it
                    self._remove(s)
        self.published += len(changes)
