"""Vessel profile facts from identity alone: flag of convenience (MMSI MID) and IMO validity.

Both work on whole arrays: a MID lookup table indexed by ``mmsi // 10**6`` and the IMO check
digit computed digit-wise with NumPy.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class FlagList:
    """MID -> flag-state name for the flags of convenience of one published list."""

    name: str
    source: str
    by_mid: dict[int, str]

    @classmethod
    def load(cls, where: str | Path = "flags_of_convenience.toml") -> "FlagList":
        """A file name inside the packaged data folder, or a path to a file of the same format."""
        p = Path(where)
        if p.is_file():
            text, source = p.read_text("utf-8"), str(p)
        else:
            res = resources.files("seawarden.alert").joinpath("data", str(where))
            if not res.is_file():
                raise FileNotFoundError(f"flag list {where!r}: neither a file nor a packaged list")
            text, source = res.read_text("utf-8"), f"seawarden/alert/data/{where}"
        doc = tomllib.loads(text)
        by_mid: dict[int, str] = {}
        for country, mids in doc.get("flags", {}).items():
            for mid in mids:
                if not 200 <= int(mid) <= 799:
                    raise ValueError(f"{source}: [flags] {country!r} has MID {mid}, MIDs are 200..799")
                by_mid[int(mid)] = country
        if not by_mid:
            raise ValueError(f"{source}: no [flags] entries")
        return cls(str(doc.get("list_name", source)), source, by_mid)

    def countries(self, mmsi: np.ndarray) -> np.ndarray:
        """Flag-of-convenience country per MMSI (object array, None when not one)."""
        table = np.full(1000, None, dtype=object)
        for mid, country in self.by_mid.items():
            table[mid] = country
        m = np.asarray(mmsi, dtype=np.int64)
        ship = (m >= 200_000_000) & (m < 800_000_000)  # ship station MMSIs: MID in the first three digits
        mid = np.where(ship, m // 1_000_000, 0)
        out = table[mid]
        out[~ship] = None
        return out


def imo_check_valid(imo: np.ndarray) -> np.ndarray:
    """IMO ship numbers: 7 digits; the 7th is the last digit of sum(d_i * (7..2)) over the first six."""
    v = np.asarray(imo, dtype=np.int64)
    digits = (v[:, None] // (10 ** np.arange(6, -1, -1))) % 10
    check = (digits[:, :6] * np.arange(7, 1, -1)).sum(axis=1) % 10
    return (v >= 1_000_000) & (v <= 9_999_999) & (check == digits[:, 6])
