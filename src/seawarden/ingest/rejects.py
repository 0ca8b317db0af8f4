"""Why input was rejected or ignored, counted and optionally quarantined.

Bad input never crashes a batch: every line ends in exactly one outcome, and every
outcome but "accepted" is counted here by reason so the user sees what was lost and why.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


class Reason(enum.IntEnum):
    """Line outcome codes; the numba kernel writes these integers."""

    ACCEPTED = 0
    # -- rejections: input that claimed to be AIS but could not be used
    BAD_CHECKSUM = 1
    TRUNCATED = 2  # missing fields or missing '*hh'
    ORPHAN_FRAGMENT = 3  # a part of a multi-part message whose siblings never came
    BAD_PAYLOAD_LENGTH = 4  # too few bits for the message type
    UNKNOWN_TALKER = 5
    BAD_PAYLOAD_CHAR = 6  # character outside the AIS 6-bit armour
    IMPOSSIBLE_VALUE = 7  # e.g. latitude 95, MMSI 0, fragment 3 of 2
    BAD_FILL_BITS = 8
    NO_TIMESTAMP = 9
    MALFORMED = 10  # fields present but not parseable (non-numeric counts, bad channel)
    BAD_TAG_BLOCK = 11  # NMEA 4.10 tag block with a bad checksum or no terminator
    LINE_TOO_LONG = 12
    EMPTY_PAYLOAD = 13
    BAD_CSV_ROW = 14  # archive row with unparseable fields
    # -- ignored: not AIS, or carrying no report of its own (not an error)
    BLANK = 32
    COMMENT = 33
    NOT_AIS = 34  # other NMEA sentences ($GPGGA...) or free text
    TIMESTAMP_LINE = 35  # $PGHP / lone tag block: consumed as metadata of the next line
    FRAGMENT = 36  # a part that was merged into a reassembled message
    DUPLICATE = 37  # same transmission heard again after its row had already been emitted

    @property
    def is_rejection(self) -> bool:
        return 0 < self.value < 32

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass
class IngestStats:
    """Counts of what a run read, decoded, collapsed and rejected."""

    lines: int = 0
    sentences: int = 0
    messages_by_type: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[Reason] = field(default_factory=Counter)
    receptions_collapsed: int = 0  # duplicates folded into an earlier row's n_rx

    def add_outcomes(self, codes_and_counts: dict[int, int] | Counter[int]) -> None:
        for code, n in codes_and_counts.items():
            if n:
                self.outcomes[Reason(int(code))] += int(n)

    def merge(self, other: "IngestStats") -> None:
        self.lines += other.lines
        self.sentences += other.sentences
        self.messages_by_type.update(other.messages_by_type)
        self.outcomes.update(other.outcomes)
        self.receptions_collapsed += other.receptions_collapsed

    @property
    def rejected(self) -> Counter[str]:
        return Counter({r.label: n for r, n in self.outcomes.items() if r.is_rejection})

    @property
    def ignored(self) -> Counter[str]:
        return Counter({r.label: n for r, n in self.outcomes.items() if not r.is_rejection and r != Reason.ACCEPTED})

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "sentences": self.sentences,
            "messages_by_type": {str(k): v for k, v in sorted(self.messages_by_type.items())},
            "receptions_collapsed": self.receptions_collapsed,
            "rejected": dict(sorted(self.rejected.items())),
            "ignored": dict(sorted(self.ignored.items())),
        }


class Quarantine:
    """Writes every rejected line, with its reason and origin, as JSON lines."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fh: IO[str] | None = None

    def write(self, reason: Reason, line: bytes | str, origin: str = "") -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
        text = line.decode("utf-8", "backslashreplace") if isinstance(line, bytes) else line
        self._fh.write(json.dumps({"reason": reason.label, "origin": origin, "line": text}) + "\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "Quarantine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
