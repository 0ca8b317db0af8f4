"""Fixtures for the seabed tests: the real demo asset set, loaded and indexed once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawarden.assets.adapters import load_default_assets
from seawarden.assets.model import AssetTable
from seawarden.assets.spatial import AssetIndex


@pytest.fixture(scope="session")
def default_assets(shared_data: Path) -> AssetTable:
    return load_default_assets(shared_data)


@pytest.fixture(scope="session")
def default_index(default_assets: AssetTable) -> AssetIndex:
    return AssetIndex.build(default_assets)
