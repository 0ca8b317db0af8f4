"""Per-vessel state held as growable NumPy arrays indexed by a dense vessel *slot*.

Kernels get whole arrays, so one pass over a time-ordered batch updates every vessel at
compiled speed; memory per vessel is fixed (a few hundred bytes plus the evidence ring).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

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


@dataclass
class VesselTable:
    """MMSI -> dense slot. Slots are handed out in order of first appearance in the stream."""

    slot_of: dict[int, int] = field(default_factory=dict)
    mmsi_of_slot: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.mmsi_of_slot)

    def slots(self, mmsi: np.ndarray) -> np.ndarray:
        """Slots of the given MMSIs (new ones are appended in order of first occurrence)."""
        if mmsi.shape[0] == 0:
            return np.empty(0, np.int32)
        uniq, first, inverse = np.unique(mmsi, return_index=True, return_inverse=True)
        uslots = np.empty(uniq.shape[0], np.int32)
        new_pos: list[int] = []
        get = self.slot_of.get
        for k, m in enumerate(uniq.tolist()):
            s = get(m)
            if s is None:
                new_pos.append(k)
                uslots[k] = -1
            else:
                uslots[k] = s
        if new_pos:
            order = sorted(new_pos, key=lambda k: first[k])
            for k in order:
                m = int(uniq[k])
                s = len(self.mmsi_of_slot)
                self.slot_of[m] = s
                self.mmsi_of_slot.append(m)
                uslots[k] = s
        return uslots[inverse].astype(np.int32)

    def mmsi_array(self) -> np.ndarray:
        return np.asarray(self.mmsi_of_slot, dtype=np.int64)
