"""Tokens, headers and the console factory the API tests share (a module, not conftest: conftest is not importable
by name once several test folders have one)."""

from __future__ import annotations

import threading

from seawarden.alert.pipeline import AlertPipeline
from seawarden.alert.sinks import LiveHub
from seawarden.api import AssetState, Console, PipelineActions, PositionFeed, ReaderPool, Role, TokenRegistry
from seawarden.store import alert_store_for
from seawarden.store.base import Store

TOKENS = {"ada": ("viewer-token-0123456789", Role.viewer), "olga": ("operator-token-0123456789", Role.operator),
          "root": ("admin-token-0123456789abc", Role.admin)}
VIEWER, OPERATOR, ADMIN = (TOKENS[n][0] for n in ("ada", "olga", "root"))
#: as tests/alert: an operator's watch corridor around Estlink 2 (the Eagle S dragged ~100 km)
WATCH_CORRIDOR_M = 40_000.0


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_console(db: Store, assets, lock: threading.RLock | None = None, **kw) -> Console:
    lock = lock or threading.RLock()
    readers = ReaderPool(db, lock)
    return Console(readers=readers.get, assets=AssetState(assets), hub=LiveHub(), feed=PositionFeed(),
                   tokens=TokenRegistry(TOKENS), actions=PipelineActions(AlertPipeline(alert_store_for(db)), lock), **kw)
