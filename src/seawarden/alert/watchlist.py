"""A user watchlist (sanctions / shadow-fleet export): match vessels by MMSI, IMO or fuzzy name.

Accepted CSV headers (case-insensitive; any subset, at least one of mmsi/imo/name):
``mmsi``; ``imo`` (or ``imo_number``, digits or "IMO 9329760"); ``name`` (or ``vessel_name``,
``ship_name``, ``caption``); ``aliases`` (names separated by ``;``); ``reason`` (or ``list``,
``program``, ``dataset``, ``sanctions``); ``identifiers`` (OpenSanctions: any ``IMO1234567``
in it becomes the IMO). Bad rows are reported with their line number, never skipped silently.

Names are compared after normalisation (upper case, punctuation to spaces, "MV"/"MT" prefixes
dropped) with rapidfuzz's ratio on the text with and without spaces, so "Eagle-S", "EAGLE S"
and "EAGLES" match.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

_IMO_RE = re.compile(r"IMO\s*[:#-]?\s*(\d{7})", re.IGNORECASE)
_PREFIX_RE = re.compile(r"^(M ?V|M ?T|S ?S|MS|MY) ")
_HEADERS = {
    "mmsi": ("mmsi",),
    "imo": ("imo", "imo_number", "imonumber", "imo number"),
    "name": ("name", "vessel_name", "ship_name", "shipname", "vessel", "caption"),
    "aliases": ("aliases", "alias", "other_names"),
    "reason": ("reason", "list", "program", "programme", "dataset", "sanctions", "source"),
    "identifiers": ("identifiers",),
}


class WatchlistError(ValueError):
    """A watchlist file that cannot be used; the message names the file and row."""


def normalise_name(name: str | None) -> str:
    if not name:
        return ""
    s = re.sub(r"[^0-9A-Z]+", " ", name.upper()).strip()
    return _PREFIX_RE.sub("", s)


@dataclass(frozen=True)
class WatchEntry:
    line: int
    mmsi: int | None
    imo: int | None
    names: tuple[str, ...]  # original spellings (name first, then aliases)
    reason: str


@dataclass(frozen=True)
class WatchMatch:
    entry: WatchEntry
    field: str  # mmsi / imo / name
    similarity: float  # 100 for exact identifiers
    matched_name: str | None = None  # the vessel's name
    listed_name: str | None = None  # the watchlist spelling it matched

    def describe(self) -> str:
        if self.field == "name":
            what = f"name {self.matched_name!r} ~ {self.listed_name!r} ({self.similarity:.0f}%)"
        else:
            what = f"MMSI {self.entry.mmsi}" if self.field == "mmsi" else f"IMO {self.entry.imo}"
        why = f" [{self.entry.reason}]" if self.entry.reason else ""
        return f"watchlist line {self.entry.line}: {what}{why}"


class Watchlist:
    def __init__(self, entries: list[WatchEntry], source: str = "watchlist") -> None:
        self.entries = entries
        self.source = source
        self._by_mmsi = {e.mmsi: e for e in entries if e.mmsi is not None}
        self._by_imo = {e.imo: e for e in entries if e.imo is not None}
        self._names: list[str] = []
        self._listed: list[str] = []
        self._name_entry: list[int] = []
        for i, e in enumerate(entries):
            for n in e.names:
                key = normalise_name(n)
                if key:
                    self._names.append(key)
                    self._listed.append(n)
                    self._name_entry.append(i)

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def read_csv(cls, path: str | Path) -> "Watchlist":
        p = Path(path)
        try:
            fh = open(p, newline="", encoding="utf-8-sig")  # noqa: SIM115
        except FileNotFoundError:
            raise WatchlistError(f"watchlist {p}: no such file") from None
        with fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames:
                raise WatchlistError(f"watchlist {p}: empty file (expected a header with mmsi, imo and/or name)")
            lower = {h.strip().lower(): h for h in reader.fieldnames if h}
            cols = {k: next((lower[a] for a in names if a in lower), None) for k, names in _HEADERS.items()}
            if not (cols["mmsi"] or cols["imo"] or cols["name"] or cols["identifiers"]):
                raise WatchlistError(f"watchlist {p}: header {reader.fieldnames} has none of mmsi / imo / name")
            entries, problems = [], []
            for line, row in enumerate(reader, start=2):
                get = lambda k: (row.get(cols[k]) or "").strip() if cols[k] else ""  # noqa: E731
                mmsi = imo = None
                if get("mmsi"):
                    if not get("mmsi").isdigit() or not 0 < int(get("mmsi")) < 1_000_000_000:
                        problems.append(f"line {line}: MMSI {get('mmsi')!r} is not a 9-digit number")
                        continue
                    mmsi = int(get("mmsi"))
                raw_imo = get("imo") or get("identifiers")
                if raw_imo:
                    m = _IMO_RE.search(raw_imo) or re.fullmatch(r"\s*(\d{7})\s*", raw_imo)
                    if m:
                        imo = int(m.group(1))
                    elif get("imo"):
                        problems.append(f"line {line}: IMO {raw_imo!r} is not a 7-digit number")
                        continue
                names = tuple(n for n in [get("name"), *get("aliases").split(";")] if n.strip())
                if mmsi is None and imo is None and not names:
                    problems.append(f"line {line}: no MMSI, IMO or name")
                    continue
                entries.append(WatchEntry(line, mmsi, imo, tuple(n.strip() for n in names), get("reason")))
        if problems:
            shown = "; ".join(problems[:10]) + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else "")
            raise WatchlistError(f"watchlist {p}: {len(problems)} bad row(s): {shown}")
        return cls(entries, str(p))

    def match(self, mmsi: np.ndarray, imo: np.ndarray, names: np.ndarray, *, min_similarity: float,
              min_name_len: int) -> list[list[WatchMatch]]:
        """Every match per vessel: identifiers exactly, names fuzzily (one rapidfuzz cdist over unique names).

        ``imo`` uses -1 or 0 for unknown; ``names`` holds str or None.
        """
        out: list[list[WatchMatch]] = [[] for _ in range(len(mmsi))]
        for i, (m, o) in enumerate(zip(np.asarray(mmsi, np.int64).tolist(), np.asarray(imo, np.int64).tolist())):
            if m in self._by_mmsi:
                out[i].append(WatchMatch(self._by_mmsi[m], "mmsi", 100.0))
            if o > 0 and o in self._by_imo:
                out[i].append(WatchMatch(self._by_imo[o], "imo", 100.0))
        if not self._names:
            return out
        keys = np.array([normalise_name(n) for n in names], dtype=object)
        uniq, inverse = np.unique(keys, return_inverse=True)
        usable = np.array([len(u.replace(" ", "")) >= min_name_len for u in uniq])
        q = [u for u, ok in zip(uniq, usable) if ok]
        if not q:
            return out
        wl = self._names
        sim = np.maximum(
            process.cdist(q, wl, scorer=fuzz.ratio, dtype=np.float32, workers=1),
            process.cdist([s.replace(" ", "") for s in q], [s.replace(" ", "") for s in wl], scorer=fuzz.ratio,
                          dtype=np.float32, workers=1))
        best = sim.argmax(axis=1)
        best_sim = sim[np.arange(len(q)), best]
        q_row = np.full(len(uniq), -1)
        q_row[np.flatnonzero(usable)] = np.arange(len(q))
        for i in np.flatnonzero(q_row[inverse] >= 0):
            r = q_row[inverse[i]]
            if best_sim[r] >= min_similarity:
                entry = self.entries[self._name_entry[best[r]]]
                if not any(x.entry is entry for x in out[i]):
                    out[i].append(WatchMatch(entry, "name", float(best_sim[r]), str(names[i]), self._listed[best[r]]))
        return out
