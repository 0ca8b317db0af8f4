"""The console's HTTP API: ``create_app(console)`` serves vessels, assets, alerts, events, suspects,
evidence packs, health/metrics and a live SSE stream (contract: docs in the OpenAPI at /api/openapi.json).

The API lives in the ingest process, on either store (DuckDB allows one writing process; PostGIS is
the choice when several must write): it reads through ``store.reader()`` handles and sends operator
actions to the writer's AlertPipeline under one lock.
"""

from seawarden.api.app import create_app
from seawarden.api.auth import Principal, Role, TokenRegistry
from seawarden.api.console import AssetState, Console, Limits, PipelineActions, ReaderPool
from seawarden.api.feed import PositionFeed

__all__ = ["AssetState", "Console", "Limits", "PipelineActions", "PositionFeed", "Principal", "ReaderPool", "Role",
           "TokenRegistry", "create_app"]
