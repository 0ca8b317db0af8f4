"""Replay pacing on real data: the schedule, slices in time order never released early, rewinds and silences."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.sources import open_source
from seawarden.watch.pacing import Pacer, parse_speed, schedule, shift_time

SAMPLE_2013 = "ais_nmea_dma/aisabnormal_ais-sample_2013-11-12.txt.gz"


@pytest.fixture(scope="module")
def batches(shared_data: Path) -> list[DecodedBatch]:
    return [b for b in open_source(shared_data / SAMPLE_2013).batches() if b.n_rows]


def _times(batches: list[DecodedBatch]) -> np.ndarray:
    return np.sort(np.concatenate([b.positions["ts"].cast(pa.int64()).to_numpy() for b in batches]))


def test_x60_replays_the_file_in_a_sixtieth_of_its_span(batches):
    ts = _times(batches)
    span_s = (ts[-1] - ts[0]) / 1000
    assert span_s > 240  # the DMA 2013 sample covers minutes of traffic
    ends, due = schedule(ts, 60.0, step_s=1.0)
    assert ends[-1] == len(ts) and np.all(np.diff(ends) > 0) and np.all(np.diff(due) > 0)
    assert due[-1] == math.floor(span_s / 60) + 1  # the last slice is due when its minute of data has passed
    ends1, due1 = schedule(ts, 1.0, step_s=1.0)
    assert due1[-1] == math.floor(span_s) + 1
    ends_max, due_max = schedule(ts, None)
    assert list(ends_max) == [len(ts)] and list(due_max) == [0.0]


def test_pacer_releases_every_row_in_time_order_and_never_before_its_time(batches):
    pacer = Pacer(60.0, step_s=0.5)
    slices = [s for b in batches for s in pacer.slices(b)]
    got = np.concatenate([s.batch.positions["ts"].cast(pa.int64()).to_numpy() for s in slices])
    assert len(got) == sum(b.positions.num_rows for b in batches)
    assert sum(s.batch.static.num_rows for s in slices) == sum(b.static.num_rows for b in batches)
    assert sum(s.batch.stats.lines for s in slices) == sum(b.stats.lines for b in batches)
    dues = np.array([s.due_s for s in slices])
    assert np.all(np.diff(dues) >= 0)
    anchor = got.min()
    for s in slices:
        if s.batch.positions.num_rows:
            newest = s.batch.positions["ts"].cast(pa.int64()).to_numpy().max()
            assert (newest - anchor) / 60_000 <= s.due_s + 1e-9  # a fix is released only once its time has come
    assert dues[-1] == pytest.approx((got.max() - anchor) / 60_000, abs=0.5)


def test_rewind_restarts_the_clock_and_long_silences_are_skipped(batches):
    first = DecodedBatch.concat(batches)
    pacer = Pacer(1.0, step_s=1.0, max_wait_s=30.0, rewind_s=60.0)
    one = list(pacer.slices(first))
    end_first = one[-1].due_s
    again = list(pacer.slices(first))  # the same data again (a loop pass without shift): time went back
    assert pacer.reanchored == 1
    assert again[0].due_s == pytest.approx(end_first + 1.0) and again[-1].due_s == pytest.approx(2 * end_first, abs=1.5)
    later = shift_time(first, 6 * 3_600_000)  # six hours of silence, then traffic again
    after = list(pacer.slices(later))
    assert pacer.skipped == 1
    assert after[0].due_s == pytest.approx(again[-1].due_s + 1.0)


def test_shift_time_moves_every_table_and_nothing_else(batches):
    b = DecodedBatch.concat(batches)
    moved = shift_time(b, 3_600_000)
    for name in ("positions", "static", "other"):
        before, after = getattr(b, name), getattr(moved, name)
        assert after.schema == before.schema and after.num_rows == before.num_rows
        delta = after["ts"].cast(pa.int64()).to_numpy() - before["ts"].cast(pa.int64()).to_numpy()
        assert np.all(delta == 3_600_000)
        assert after.drop_columns(["ts"]).equals(before.drop_columns(["ts"]))


@pytest.mark.parametrize(("text", "want"), [("1", 1.0), ("x60", 60.0), ("60", 60.0), ("0.5", 0.5), ("max", None), ("inf", None), (None, None)])
def test_parse_speed(text, want):
    assert parse_speed(text) == want


@pytest.mark.parametrize("text", ["0", "-2", "fast-ish", "x"])
def test_parse_speed_rejects_nonsense(text):
    with pytest.raises(ValueError, match="speed"):
        parse_speed(text)
