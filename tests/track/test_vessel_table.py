"""MMSI -> slot map: slots in order of first appearance, stable across batches and growth."""

from __future__ import annotations

import numpy as np

from seawarden.track.state import VesselTable


def _reference(batches: list[np.ndarray]) -> list[np.ndarray]:
    slot_of: dict[int, int] = {}
    out = []
    for b in batches:
        out.append(np.array([slot_of.setdefault(int(m), len(slot_of)) for m in b], np.int32))
    return out


def test_slots_follow_first_appearance_through_table_growth():
    rng = np.random.default_rng(3)
    # 20 k distinct MMSIs (the map starts at 4 k keys / 1 k slots and must grow several times,
    # also in the middle of a batch), repeated and interleaved like a real feed
    pool = rng.choice(np.arange(200_000_000, 800_000_000, dtype=np.uint32), 20_000, replace=False)
    batches = [pool[rng.integers(0, k, 50_000)] for k in (10, 3_000, 20_000, 20_000)]
    batches.insert(1, np.empty(0, np.uint32))
    vt = VesselTable()
    got = [vt.slots(b) for b in batches]
    for g, r in zip(got, _reference(batches)):
        assert g.dtype == np.int32 and np.array_equal(g, r)
    assert len(vt) == len(np.unique(np.concatenate(batches)))
    first = {}
    for m in np.concatenate(batches).tolist():
        first.setdefault(m, len(first))
    assert vt.mmsi_of_slot.tolist() == list(first)
    assert np.array_equal(vt.mmsi_array(), vt.mmsi_of_slot)


def test_extreme_mmsis_and_zero_are_ordinary_keys():
    vt = VesselTable()
    mmsi = np.array([0, 4_294_967_295, 0, 1, 4_294_967_295], np.uint32)
    assert vt.slots(mmsi).tolist() == [0, 1, 0, 2, 1]
    assert vt.mmsi_of_slot.tolist() == [0, 4_294_967_295, 1]
