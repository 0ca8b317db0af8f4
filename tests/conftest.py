"""Shared fixtures: the real data in ../shared/data, read where it lies (never copied)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Where the shared real data lives: $SEAWARDEN_SHARED_DATA or ../shared/data beside the checkout."""
    env = os.environ.get("SEAWARDEN_SHARED_DATA")
    return Path(env) if env else (REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.fail(f"real test data not found at {path}: check out the project beside ../shared (or set SEAWARDEN_SHARED_DATA)")
    return path
