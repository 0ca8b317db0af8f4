"""The persistent asset registry: one GeoParquet file in the user's data directory.

GeoParquet (WKB + 'geo' metadata, written with pyarrow) keeps the registry columnar, readable by
GeoPandas/DuckDB/QGIS, and loads in milliseconds; `assets load` upserts by asset id so loading the
same file twice replaces rather than duplicates.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from seawarden.assets.model import AssetTable
from seawarden.paths import data_home

REGISTRY_FILE = "assets.parquet"


class AssetRegistry:
    """Load/save/upsert the asset table at `path` (default: data_home()/assets.parquet)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else data_home() / REGISTRY_FILE

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> AssetTable:
        """The stored assets (an empty table if nothing was stored yet)."""
        if not self.path.exists():
            return AssetTable.empty()
        try:
            return AssetTable.from_arrow(pq.read_table(self.path))
        except Exception as exc:
            raise RuntimeError(f"asset registry {self.path} is unreadable ({exc}); move it away and load the assets again") from exc

    def save(self, table: AssetTable) -> None:
        """Write atomically (temp file + rename) so a crash never leaves half a registry."""
        table.validate()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".parquet.tmp")
        pq.write_table(table.to_arrow(), tmp, compression="zstd")
        os.replace(tmp, self.path)

    def upsert(self, new: AssetTable) -> tuple[int, int]:
        """Add `new`, replacing stored assets with the same id. Returns (added, replaced)."""
        current = self.load()
        replaced = np.isin(current.id.astype(str), new.id.astype(str))
        merged = AssetTable.concat([current.take(~replaced), new])
        self.save(merged)
        return len(new) - int(replaced.sum()), int(replaced.sum())

    def remove(self, ids: list[str]) -> int:
        current = self.load()
        drop = np.isin(current.id.astype(str), ids)
        self.save(current.take(~drop))
        return int(drop.sum())
