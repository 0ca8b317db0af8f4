"""Per-stream state in flat arrays, for the numba kernels: recent payloads and station codes.

Open addressing with linear probing over power-of-two capacities; keys are 64-bit hashes
(0 = empty slot). Both tables live as long as the decoder, so the same transmission heard
again in a later chunk is still recognised, and each station keeps one code for the stream.
"""

from __future__ import annotations

import numba as nb
import numpy as np


class RecentPayloads:
    """Payload hash -> time and row of its first reception, within a time window."""

    def __init__(self, window_ms: int, capacity: int = 1 << 16) -> None:
        self.window_ms = window_ms
        self._alloc(capacity)
        self.count = 0
        self.batch_no = 0

    def _alloc(self, capacity: int) -> None:
        self.keys = np.zeros(capacity, np.uint64)
        self.ts = np.zeros(capacity, np.int64)
        self.row = np.full(capacity, -1, np.int64)
        self.batch = np.zeros(capacity, np.int64)

    def collapse(self, hashes: np.ndarray, ts: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """keep, n_rx, dup for one batch (see :func:`dedup_receptions`)."""
        self.batch_no += 1
        incoming = int(np.count_nonzero(ok))
        if incoming and 2 * (self.count + incoming) > len(self.keys):
            # forget what can no longer match: older than this batch's earliest time minus the window
            horizon = int(ts[ok].min()) - self.window_ms
            capacity = len(self.keys)
            old = (self.keys, self.ts, self.row, self.batch)
            while True:
                self._alloc(capacity)
                kept = rebuild_recent(*old, self.keys, self.ts, self.row, self.batch, horizon)
                if 2 * (kept + incoming) <= capacity:
                    break
                capacity *= 2
            self.count = kept
        keep, n_rx, dup, self.count = dedup_receptions(
            hashes, ts, ok, self.keys, self.ts, self.row, self.batch, self.batch_no, self.count, self.window_ms
        )
        return keep, n_rx, dup


class StationCodes:
    """Station (source) hash -> small integer code, stable for the whole stream."""

    def __init__(self, capacity: int = 1 << 10) -> None:
        self.keys = np.zeros(capacity, np.uint64)
        self.codes = np.zeros(capacity, np.int32)
        self.hashes: list[int] = []  # code -> hash

    def code(self, src: np.ndarray) -> np.ndarray:
        """Codes for every hash in ``src``, adding new stations; grows the table when half full."""
        while True:
            out, new_hashes, n_new, overflow = _code_stations(src, self.keys, self.codes, len(self.hashes))
            self.hashes.extend(new_hashes[:n_new].tolist())
            if not overflow:
                return out
            self._grow()

    def _grow(self) -> None:
        keys, codes = self.keys, self.codes
        self.keys = np.zeros(2 * len(keys), np.uint64)
        self.codes = np.zeros(2 * len(keys), np.int32)
        _reinsert_codes(keys, codes, self.keys, self.codes)


@nb.njit(cache=True, nogil=True)
def _code_stations(src, keys, codes, next_code):
    n = src.shape[0]
    out = np.empty(n, np.int32)
    new_hashes = np.empty(n, np.uint64)
    n_new = 0
    mask = keys.shape[0] - 1
    for m in range(n):
        h = src[m]
        slot = np.int64(h & np.uint64(mask))
        while keys[slot] != 0 and keys[slot] != h:
            slot = (slot + 1) & mask
        if keys[slot] == 0:
            if 2 * (next_code + n_new + 1) > keys.shape[0]:
                return out, new_hashes, n_new, True
            keys[slot] = h
            codes[slot] = next_code + n_new
            new_hashes[n_new] = h
            n_new += 1
        out[m] = codes[slot]
    return out, new_hashes, n_new, False


@nb.njit(cache=True, nogil=True)
def _reinsert_codes(old_keys, old_codes, keys, codes):
    mask = keys.shape[0] - 1
    for i in range(old_keys.shape[0]):
        h = old_keys[i]
        if h == 0:
            continue
        slot = np.int64(h & np.uint64(mask))
        while keys[slot] != 0:
            slot = (slot + 1) & mask
        keys[slot] = h
        codes[slot] = old_codes[i]


@nb.njit(cache=True, nogil=True)
def dedup_receptions(hashes, ts, ok, keys, tab_ts, tab_row, tab_batch, batch_no, count, window_ms):
    """Collapse repeated receptions of one transmission (same payload within the window).

    The first reception is kept; later ones add to its ``n_rx`` when it is in this batch,
    or are dropped as duplicates of a row emitted earlier. Returns keep, n_rx, dup, the new
    entry count. The caller guarantees room (at most half full after this batch).
    """
    n = hashes.shape[0]
    keep = np.zeros(n, np.bool_)
    dup = np.zeros(n, np.bool_)
    n_rx = np.ones(n, np.uint16)
    mask = keys.shape[0] - 1
    for m in range(n):
        if not ok[m]:
            continue
        h = hashes[m]
        slot = np.int64(h & np.uint64(mask))
        while keys[slot] != 0 and keys[slot] != h:
            slot = (slot + 1) & mask
        if keys[slot] == h and abs(ts[m] - tab_ts[slot]) <= window_ms:
            dup[m] = True
            if tab_batch[slot] == batch_no and tab_row[slot] >= 0:
                r = tab_row[slot]
                if n_rx[r] < 65535:
                    n_rx[r] += 1
            continue
        if keys[slot] == 0:
            count += 1
            keys[slot] = h
        tab_ts[slot] = ts[m]
        tab_row[slot] = m
        tab_batch[slot] = batch_no
        keep[m] = True
    return keep, n_rx, dup, count


@nb.njit(cache=True, nogil=True)
def rebuild_recent(keys, tab_ts, tab_row, tab_batch, new_keys, new_ts, new_row, new_batch, horizon):
    """Copy entries newer than ``horizon`` into fresh arrays; returns how many were kept."""
    mask = new_keys.shape[0] - 1
    kept = 0
    for i in range(keys.shape[0]):
        h = keys[i]
        if h == 0 or tab_ts[i] < horizon:
            continue
        slot = np.int64(h & np.uint64(mask))
        while new_keys[slot] != 0:
            slot = (slot + 1) & mask
        new_keys[slot] = h
        new_ts[slot] = tab_ts[i]
        new_row[slot] = tab_row[i]
        new_batch[slot] = tab_batch[i]
        kept += 1
    return kept
