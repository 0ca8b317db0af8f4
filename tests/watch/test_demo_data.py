"""`watch --demo` finds its real data through the fetch catalog: a mirror folder, or a clear error."""

from __future__ import annotations

import pytest

from seawarden.ingest.fetch import FetchError
from seawarden.watch.demo_data import DEMO_DATASETS, demo_data_root


def test_mirror_serves_every_demo_set_in_place(shared_data, monkeypatch, tmp_path):
    monkeypatch.setenv("SEAWARDEN_MIRROR", str(shared_data))
    monkeypatch.setenv("SEAWARDEN_HOME", str(tmp_path))
    root = demo_data_root()
    assert root == shared_data
    assert (root / "ais_noaa_marinecadastre" / "US_coastal_2020-06-30_trajectories.parquet").is_file()
    assert not (tmp_path / "data").exists(), "a folder mirror is read in place, never copied into the cache"


def test_a_mirror_missing_a_set_names_the_file(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("SEAWARDEN_MIRROR", str(mirror))
    with pytest.raises(FetchError, match=DEMO_DATASETS[0]):
        demo_data_root()


def test_explicit_folder_wins_and_must_exist(tmp_path):
    assert demo_data_root(tmp_path) == tmp_path
    with pytest.raises(FetchError, match="not found"):
        demo_data_root(tmp_path / "nope")
