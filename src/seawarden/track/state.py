"""Per-vessel state held as growable NumPy arrays indexed by a dense vessel *slot*.

Kernels get whole arrays, so one pass over a time-ordered batch updates every vessel at
compiled speed; memory per vessel is fixed (a few hundred bytes plus the evidence ring).
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from seawarden.numba_hash import fib_hash

NO_TIME = np.iinfo(np.int64).min


class SlotArrays:
    """Named state arrays whose first axis is the vessel slot; they grow together."""

    def __init__(self, spec: dict[str, tuple[Any, Any, tuple[int, ...]]], capacity: int = 1024) -> None:
        self._spec = spec
        self.capacity = 0
        self.arrays: dict[str, np.ndarray] = {}
        for name, (dtype, fill, tail) in spec.items():
            self.arrays[name] = np.full((0, *tail), fill, dtype=dtype)
        self.ensure(capacity)

    def ensure(self, n: int) -> None:
        if n <= self.capacity:
            return
        cap = max(n, 2 * self.capacity, 1024)
        for name, (dtype, fill, tail) in self._spec.items():
            old = self.arrays[name]
            new = np.full((cap, *tail), fill, dtype=dtype)
            new[: old.shape[0]] = old
            self.arrays[name] = new
        self.capacity = cap

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


_EMPTY_KEY = -1


@nb.njit(cache=True, nogil=True)
def _slots_kernel(mmsi, start, keys, vals, mmsi_of, count, out) -> int:
    """Slot of rows start.. by open addressing (keys/vals: MMSI -> slot); unseen MMSIs get the
    next slots (count[0]) in order of first occurrence. Returns the row it stopped at: mmsi.size
    when done, earlier when the table must grow first (the caller grows it and resumes there)."""
    mask = keys.size - 1
    n = count[0]
    for i in range(start, mmsi.size):
        m = np.int64(mmsi[i])
        h = fib_hash(m, mask)
        while keys[h] != _EMPTY_KEY and keys[h] != m:
            h = (h + 1) & mask
        if keys[h] == _EMPTY_KEY:
            if 2 * (n + 1) > keys.size or n >= mmsi_of.size:
                count[0] = n
                return i
            keys[h] = m
            vals[h] = n
            mmsi_of[n] = m
            n += 1
        out[i] = vals[h]
    count[0] = n
    return mmsi.size


@nb.njit(cache=True, nogil=True)
def _rehash(keys, vals, cap):
    nk = np.full(cap, _EMPTY_KEY, np.int64)
    nv = np.zeros(cap, np.int32)
    mask = cap - 1
    for j in range(keys.size):
        if keys[j] == _EMPTY_KEY:
            continue
        h = fib_hash(keys[j], mask)
        while nk[h] != _EMPTY_KEY:
            h = (h + 1) & mask
        nk[h] = keys[j]
        nv[h] = vals[j]
    return nk, nv


class VesselTable:
    """MMSI -> dense slot. Slots are handed out in order of first appearance in the stream.

    A compiled open-addressing map: one pass per batch, no per-row Python and no sort (np.unique
    per batch cost more than the tracker's whole kernel)."""

    def __init__(self) -> None:
        self._keys = np.full(1 << 12, _EMPTY_KEY, np.int64)
        self._vals = np.zeros(1 << 12, np.int32)
        self._mmsi = np.zeros(1 << 10, np.int64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def mmsi_of_slot(self) -> np.ndarray:
        """MMSI of every slot (a read-only view; slot s is row s)."""
        v = self._mmsi[: self._n]
        v.flags.writeable = False
        return v

    def slots(self, mmsi: np.ndarray) -> np.ndarray:
        """Slots of the given MMSIs (new ones are appended in order of first occurrence)."""
        out = np.empty(mmsi.shape[0], np.int32)
        count = np.array([self._n], np.int64)
        i = 0
        while True:
            i = _slots_kernel(mmsi, i, self._keys, self._vals, self._mmsi, count, out)
            self._n = int(count[0])
            if i == mmsi.shape[0]:
                return out
            if 2 * (self._n + 1) > self._keys.size:
                self._keys, self._vals = _rehash(self._keys, self._vals, 2 * self._keys.size)
            if self._n >= self._mmsi.size:
                grown = np.zeros(2 * self._mmsi.size, np.int64)
                grown[: self._mmsi.size] = self._mmsi
                self._mmsi = grown

    def mmsi_array(self) -> np.ndarray:
        return self._mmsi[: self._n].copy()
