"""The context ``create_app`` serves from: store readers, alert actions, assets, risk, live hub and feed.

Everything the routes touch goes through this one object, so the same app serves a running
``seawarden watch`` (writer in the ingest thread) or a test with a prepared store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from seawarden.alert.base import AlertStore
from seawarden.alert.config import AlertSettings
from seawarden.alert.lifecycle import PAST
from seawarden.alert.model import AlertChange
from seawarden.alert.pipeline import AlertPipeline
from seawarden.alert.risk import RiskScorer
from seawarden.alert.sinks import LiveHub
from seawarden.api.auth import TokenRegistry
from seawarden.api.feed import PositionFeed
from seawarden.api.limits import Limits
from seawarden.assets.model import AssetTable
from seawarden.assets.registry import AssetRegistry
from seawarden.assets.spatial import AssetIndex
from seawarden.store import alert_store_for
from seawarden.store.base import Store, to_ms


class ReaderPool:
    """One read handle per API thread on the writer's store, from ``store.reader()``.

    DuckDB: a cursor on the writer's database (one writer per file); PostGIS: another connection.
    Handles are made under the writer's lock (a DuckDB cursor touches the shared connection); after
    that each thread reads on its own handle and sees every committed row.
    """

    def __init__(self, store: Store, lock: threading.RLock | None = None) -> None:
        self.store = store
        self.lock = lock or threading.RLock()
        self._local = threading.local()
        self._all: list[Store] = []

    def get(self) -> Store:
        r = getattr(self._local, "reader", None)
        if r is None:
            with self.lock:
                r = self.store.reader()
                self._all.append(r)
            self._local.reader = r
        return r

    def close(self) -> None:
        with self.lock:
            for r in self._all:
                try:
                    r.close()
                except Exception:  # noqa: BLE001 -- closing at shutdown: a dead cursor is fine
                    pass
            self._all.clear()


class PipelineActions:
    """Operator transitions on the writer's AlertPipeline, serialised with the ingest loop's writes."""

    def __init__(self, pipeline: AlertPipeline, lock: threading.RLock) -> None:
        self.pipeline, self.lock = pipeline, lock

    def act(self, alert_id: str, action: str, by: str, reason: str | None) -> AlertChange:
        if action not in PAST:
            raise ValueError(f"unknown action {action!r}; one of {', '.join(PAST)}")
        with self.lock:
            return getattr(self.pipeline, action)(alert_id, by, reason)


class AssetState:
    """The assets in force, swappable at run time (POST/DELETE /api/assets) without stopping ingest.

    Detectors keep the index they were built with until the service rebuilds its engine; the
    API answers from the current table at once. With a registry, changes are saved to it.
    """

    def __init__(self, table: AssetTable, registry: AssetRegistry | None = None,
                 on_change: Callable[[AssetIndex], None] | None = None) -> None:
        self._lock = threading.Lock()
        self.registry = registry
        self.on_change = on_change
        self._set(table)

    def _set(self, table: AssetTable) -> None:
        self.table = table
        self.index = AssetIndex.build(table) if len(table) else None

    def replace(self, table: AssetTable) -> None:
        table.validate()
        with self._lock:
            if self.registry is not None:
                self.registry.save(table)
            self._set(table)
        if self.on_change is not None and self.index is not None:
            self.on_change(self.index)

    def upsert(self, new: AssetTable) -> tuple[int, int]:
        import numpy as np

        cur = self.table
        replaced = np.isin(cur.id.astype(str), new.id.astype(str))
        self.replace(AssetTable.concat([cur.take(~replaced), new]))
        return len(new) - int(replaced.sum()), int(replaced.sum())

    def remove(self, asset_id: str) -> bool:
        keep = self.table.id.astype(str) != asset_id
        if keep.all():
            return False
        self.replace(self.table.take(keep))
        return True


@dataclass
class Console:
    readers: Callable[[], Store]  # a read handle for the calling thread
    assets: AssetState
    hub: LiveHub
    feed: PositionFeed
    tokens: TokenRegistry
    actions: PipelineActions | None = None  # None: a read-only console (writes answer 503)
    risk: RiskScorer | None = None
    alert_settings: AlertSettings = field(default_factory=AlertSettings.load)
    detect_config: dict[str, Any] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    ingest_stats: Callable[[], dict[str, Any]] = dict  # counters of the running loop, for /metrics and /health
    evidence_dir: Path | None = None
    ais_attribution: str | None = None
    started_monotonic: float = field(default_factory=time.monotonic)
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    push_interval_s: float = 0.5  # positions frames at most twice a second
    keepalive_s: float = 15.0
    stats_interval_s: float = 5.0

    def alert_store(self) -> AlertStore:
        """The alert store beside the calling thread's reader (same connection)."""
        return alert_store_for(self.readers())

    def scorer(self) -> RiskScorer:
        if self.risk is None:
            self.risk = RiskScorer.with_assets(self.assets.table, settings=self.alert_settings)
        return self.risk

    def now_ms(self) -> int:
        """The stream's present: newest fix seen live, else the store's newest position, else the wall clock.

        Replays and archives are historical, so "the last hour" and risk decay are measured from here.
        """
        if self.feed.stream_ms is not None:
            return self.feed.stream_ms
        last = self.readers().last_seen()
        return to_ms(last) if last is not None else int(time.time() * 1000)
