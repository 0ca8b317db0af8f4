"""The integer hash of the compiled open-addressing tables (MMSI -> vessel slot, grid cell -> candidates).

Fibonacci hashing: one multiply by 2^64/phi spreads consecutive keys (MMSIs of one country, adjacent cells)
over the table; the high bits are the well-mixed ones, so the slot is taken from above bit 17.
"""

from __future__ import annotations

import numba as nb


@nb.njit(cache=True, nogil=True, inline="always")
def fib_hash(key: int, mask: int) -> int:
    """Slot of ``key`` in a table of ``mask + 1`` (a power of two) entries."""
    h = (key * 0x9E3779B97F4A7C15) & 0x7FFFFFFFFFFFFFFF
    return (h >> 17) & mask
