"""The injected dragger outranks days of real-derived regional background traffic (the bench's data at test size)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from rich.console import Console

from seawarden import schema
from seawarden.alert.forensics import SuspectConfig, rank_suspects
from seawarden.alert.forensics.demo import DragScenario, regional_days, uniform_days
from seawarden.alert.forensics.focus import AssetFocus
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import DuckDBStore

pytest.importorskip("tracktable_data")  # World Port Index: berths of the Gulf picture
pytest.importorskip("global_land_mask")  # tracks end at the coast

DAYS, SEED = 2, 7


def _on_cable_shares(index, tables: list[pa.Table]) -> tuple[float, float]:
    """Share of still (< 1 kn) and under-way (>= 3 kn) fixes that lie in the Estlink 2 corridor."""
    focus = AssetFocus.build(index.assets, "Estlink 2", None, None, 10.0)
    lon, lat, sog = (np.concatenate([np.asarray(t[c].to_numpy(zero_copy_only=False), dtype=float) for t in tables])
                     for c in ("lon", "lat", "sog"))
    near = focus.distance(lon, lat, focus.corridor_m)[0] <= focus.corridor_m
    still, moving = sog < 1.0, sog >= 3.0
    return (near & still).sum() / still.sum(), (near & moving).sum() / moving.sum()


@pytest.fixture(scope="module")
def background(shared_data: Path) -> list[pa.Table]:
    return [t for _, t in regional_days(shared_data, DAYS, SEED)]


@pytest.fixture(scope="module")
def month_report(background, scenario: DragScenario, index, tmp_path_factory):
    """The background days with the proof scenario moved into the last day, ranked over all of them."""
    day0 = int(background[0]["ts"].cast(pa.int64()).to_numpy().min()) // 86_400_000 * 86_400_000
    shift = day0 + (DAYS - 1) * 86_400_000 - scenario.t_ref_ms // 86_400_000 * 86_400_000
    moved = scenario.positions.set_column(1, "ts", pa.array(scenario.positions["ts"].cast(pa.int64()).to_numpy() + shift).cast(schema.TS))
    path = tmp_path_factory.mktemp("background") / "days.duckdb"
    with DuckDBStore(path) as db:
        for t in [*background, moved.cast(schema.POSITIONS)]:
            db.append(DecodedBatch(positions=t, static=schema.STATIC.empty_table(), other=schema.OTHER.empty_table()))
    t0 = datetime.fromtimestamp(day0 / 1000, timezone.utc)
    with DuckDBStore(path, read_only=True) as db:
        return rank_suspects(db, index, "Estlink 2", t0, t0 + timedelta(days=DAYS))


def test_dragger_ranks_first_over_regional_background(month_report, scenario):
    Console(width=220).print(month_report.to_table())  # the proof with reasons, shown with -s
    assert len(month_report.suspects) > 10, "the background must put real-derived crossers on the cable"
    top = month_report.suspects[0]
    assert top.mmsi == scenario.dragger
    assert all(s.score < top.score for s in month_report.suspects[1:])


def test_background_lies_where_the_real_gulf_shows_such_behaviour(background, index, shared_data):
    # real Digitraffic snapshots: 0.12 % / 0.00 % of still fixes and 0.27 % / 0.28 % of under-way fixes in the corridor
    still, moving = _on_cable_shares(index, background)
    u_still, u_moving = _on_cable_shares(index, [t for _, t in uniform_days(shared_data, DAYS, SEED)])
    assert still < 0.002 and moving < 0.005
    assert u_still > 2 * still, "uniform placement puts harbour life on the cable (the bench's old construction)"
    mmsi = np.concatenate([t["mmsi"].to_numpy() for t in background])
    assert len(np.unique(mmsi)) > 0.95 * 1185 * DAYS  # every vessel-day stays in, as an independent MMSI


def test_speed_evidence_is_physical_and_under_way(month_report):
    cfg = SuspectConfig.load()
    under_way, max_kn = cfg.f("speed", "underway_kn"), cfg.f("speed", "max_speed_kn")
    for s in month_report.suspects:
        for c in s.crossings:  # glitch steps (> 50 kn) are neither crossings nor speeds
            assert not (c.sog_at_kn > max_kn) and not (c.baseline_kn > max_kn)
        for r in s.reasons:
            if r.code == "speed_drop":  # a stop after the line is arrival/anchoring, not a drag
                x = next(c for c in s.crossings if math.isclose(c.drop_fraction, r.data["drop_fraction"], abs_tol=1e-3))
                assert x.sog_after_kn >= under_way
                assert r.points <= cfg.f("weights", "max_speed_drop")
