"""AIS message layouts, declared once as data (ITU-R M.1371-5).

Like pyais' ``bit_field`` tables, each message type is a list of fields; one generic
numba decoder (:mod:`.kernel`) serves them all. Adding a field or a type means adding a
row here, never writing decoding code. The tables are compiled into flat NumPy arrays
that the kernel indexes by layout key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Col(IntEnum):
    """Integer output columns (raw, unscaled values) of the generic decoder."""

    REPEAT = 0
    MMSI = 1
    NAV_STATUS = 2
    ROT = 3
    SOG = 4
    ACCURACY = 5
    LON = 6
    LAT = 7
    COG = 8
    HEADING = 9
    SECOND = 10
    RAIM = 11
    IMO = 12
    SHIP_TYPE = 13
    TO_BOW = 14
    TO_STERN = 15
    TO_PORT = 16
    TO_STARBOARD = 17
    ETA_MONTH = 18
    ETA_DAY = 19
    ETA_HOUR = 20
    ETA_MINUTE = 21
    DRAUGHT = 22
    PART_NO = 23
    AIS_VERSION = 24
    EPFD = 25


N_INT_COLS = len(Col)


class Text(IntEnum):
    """Text output columns (6-bit ASCII); value = index, width in characters below."""

    CALLSIGN = 0
    NAME = 1
    DESTINATION = 2


TEXT_CHARS = {Text.CALLSIGN: 7, Text.NAME: 20, Text.DESTINATION: 20}
TEXT_OFFSET = {t: sum(TEXT_CHARS[u] for u in Text if u < t) for t in Text}
TEXT_TOTAL = sum(TEXT_CHARS.values())

# field kinds
U, S, T = 0, 1, 2


@dataclass(frozen=True)
class Field:
    column: Col | Text
    start: int
    width: int
    kind: int = U


#: Layout key of type 24 part B (part A uses key 24); keys < 64 are message types.
KEY_24B = 64
N_KEYS = 65

_POS_A = [  # types 1, 2, 3: Class A position report
    Field(Col.REPEAT, 6, 2),
    Field(Col.MMSI, 8, 30),
    Field(Col.NAV_STATUS, 38, 4),
    Field(Col.ROT, 42, 8, S),
    Field(Col.SOG, 50, 10),
    Field(Col.ACCURACY, 60, 1),
    Field(Col.LON, 61, 28, S),
    Field(Col.LAT, 89, 27, S),
    Field(Col.COG, 116, 12),
    Field(Col.HEADING, 128, 9),
    Field(Col.SECOND, 137, 6),
    Field(Col.RAIM, 148, 1),
]

_POS_B = [  # types 18 and 19 share the first 143 bits
    Field(Col.REPEAT, 6, 2),
    Field(Col.MMSI, 8, 30),
    Field(Col.SOG, 46, 10),
    Field(Col.ACCURACY, 56, 1),
    Field(Col.LON, 57, 28, S),
    Field(Col.LAT, 85, 27, S),
    Field(Col.COG, 112, 12),
    Field(Col.HEADING, 124, 9),
    Field(Col.SECOND, 133, 6),
]

_DIMS = lambda at: [  # noqa: E731 - four dimension fields at a type-specific offset
    Field(Col.TO_BOW, at, 9),
    Field(Col.TO_STERN, at + 9, 9),
    Field(Col.TO_PORT, at + 18, 6),
    Field(Col.TO_STARBOARD, at + 24, 6),
]

LAYOUTS: dict[int, list[Field]] = {
    1: _POS_A,
    2: _POS_A,
    3: _POS_A,
    4: [  # base station report: position of the receiver, for coverage
        Field(Col.REPEAT, 6, 2),
        Field(Col.MMSI, 8, 30),
        Field(Col.ACCURACY, 78, 1),
        Field(Col.LON, 79, 28, S),
        Field(Col.LAT, 107, 27, S),
        Field(Col.EPFD, 134, 4),
    ],
    5: [  # static and voyage related data
        Field(Col.REPEAT, 6, 2),
        Field(Col.MMSI, 8, 30),
        Field(Col.AIS_VERSION, 38, 2),
        Field(Col.IMO, 40, 30),
        Field(Text.CALLSIGN, 70, 42, T),
        Field(Text.NAME, 112, 120, T),
        Field(Col.SHIP_TYPE, 232, 8),
        *_DIMS(240),
        Field(Col.EPFD, 270, 4),
        Field(Col.ETA_MONTH, 274, 4),
        Field(Col.ETA_DAY, 278, 5),
        Field(Col.ETA_HOUR, 283, 5),
        Field(Col.ETA_MINUTE, 288, 6),
        Field(Col.DRAUGHT, 294, 8),
        Field(Text.DESTINATION, 302, 120, T),
    ],
    9: [  # SAR aircraft position report (kept in "other" with its position)
        Field(Col.REPEAT, 6, 2),
        Field(Col.MMSI, 8, 30),
        Field(Col.LON, 61, 28, S),
        Field(Col.LAT, 89, 27, S),
    ],
    18: [*_POS_B, Field(Col.RAIM, 147, 1)],
    19: [
        *_POS_B,
        Field(Text.NAME, 143, 120, T),
        Field(Col.SHIP_TYPE, 263, 8),
        *_DIMS(271),
        Field(Col.EPFD, 301, 4),
        Field(Col.RAIM, 305, 1),
    ],
    21: [  # aid to navigation report
        Field(Col.REPEAT, 6, 2),
        Field(Col.MMSI, 8, 30),
        Field(Col.ACCURACY, 163, 1),
        Field(Col.LON, 164, 28, S),
        Field(Col.LAT, 192, 27, S),
    ],
    24: [  # static data report part A
        Field(Col.REPEAT, 6, 2),
        Field(Col.MMSI, 8, 30),
        Field(Col.PART_NO, 38, 2),
        Field(Text.NAME, 40, 120, T),
    ],
    KEY_24B: [  # static data report part B
        Field(Col.REPEAT, 6, 2),
        Field(Col.MMSI, 8, 30),
        Field(Col.PART_NO, 38, 2),
        Field(Col.SHIP_TYPE, 40, 8),
        Field(Text.CALLSIGN, 90, 42, T),
        *_DIMS(132),
    ],
    27: [  # long-range broadcast: coarse units (1/10 minute, whole knots and degrees)
        Field(Col.REPEAT, 6, 2),
        Field(Col.MMSI, 8, 30),
        Field(Col.ACCURACY, 38, 1),
        Field(Col.RAIM, 39, 1),
        Field(Col.NAV_STATUS, 40, 4),
        Field(Col.LON, 44, 18, S),
        Field(Col.LAT, 62, 17, S),
        Field(Col.SOG, 79, 6),
        Field(Col.COG, 85, 9),
    ],
}
LAYOUTS[11] = LAYOUTS[4]  # UTC/date response: same layout as the base station report

#: Generic fallback for every other type: who sent it, so it can be kept and counted.
HEADER_ONLY = [Field(Col.REPEAT, 6, 2), Field(Col.MMSI, 8, 30)]

POSITION_TYPES = (1, 2, 3, 18, 19, 27)
STATIC_TYPES = (5, 19, 24)


def _required_bits(fields: list[Field]) -> int:
    return max(f.start + f.width for f in fields)


def compile_layouts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flatten the tables: (field rows [n, 4] = column, start, width, kind),
    per-key offsets into the rows [N_KEYS + 1], per-key minimum payload bits [N_KEYS]."""
    rows: list[tuple[int, int, int, int]] = []
    offsets = np.zeros(N_KEYS + 1, dtype=np.int64)
    required = np.zeros(N_KEYS, dtype=np.int64)
    for key in range(N_KEYS):
        fields = LAYOUTS.get(key, HEADER_ONLY if key < 64 else [])
        offsets[key] = len(rows)
        for f in fields:
            col = TEXT_OFFSET[f.column] if f.kind == T else int(f.column)  # type: ignore[index]
            rows.append((col, f.start, f.width, f.kind))
        required[key] = _required_bits(fields) if fields else 38
    offsets[N_KEYS] = len(rows)
    return np.asarray(rows, dtype=np.int64), offsets, required


FIELD_ROWS, FIELD_OFFSETS, REQUIRED_BITS = compile_layouts()
#: the layout columns as separate contiguous arrays, the form the kernel reads fastest
LAYOUT_ARRAYS = (
    np.ascontiguousarray(FIELD_ROWS[:, 0]),
    np.ascontiguousarray(FIELD_ROWS[:, 1]),
    np.ascontiguousarray(FIELD_ROWS[:, 2]),
    np.ascontiguousarray(FIELD_ROWS[:, 3]),
    FIELD_OFFSETS,
    REQUIRED_BITS,
)


def compile_decode_plan() -> tuple[np.ndarray, ...]:
    """The same layouts split for the decoder's branch-free field loop.

    Integer rows (column, start bit, 64 - width, value mask: all ones when signed) and text
    rows (text offset, start bit, characters) each with per-key offsets, so reading a field
    is two shifts and a mask with no per-field test of its kind.
    """
    i_col, i_start, i_shift, i_mask, t_col, t_start, t_chars = ([] for _ in range(7))
    i_off = np.zeros(N_KEYS + 1, dtype=np.int64)
    t_off = np.zeros(N_KEYS + 1, dtype=np.int64)
    for key in range(N_KEYS):
        i_off[key], t_off[key] = len(i_col), len(t_col)
        for f in LAYOUTS.get(key, HEADER_ONLY if key < 64 else []):
            if f.kind == T:
                t_col.append(TEXT_OFFSET[f.column])  # type: ignore[index]
                t_start.append(f.start)
                t_chars.append(f.width // 6)
            else:
                i_col.append(int(f.column))
                i_start.append(f.start)
                i_shift.append(64 - f.width)
                i_mask.append(-1 if f.kind == S else (1 << f.width) - 1)
    i_off[N_KEYS], t_off[N_KEYS] = len(i_col), len(t_col)
    as64 = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    return (as64(i_col), as64(i_start), as64(i_shift), as64(i_mask), i_off,
            as64(t_col), as64(t_start), as64(t_chars), t_off, REQUIRED_BITS)


#: what :func:`seawarden.ingest.nmea.kernel.decode_payloads_into` reads (see compile_decode_plan)
DECODE_PLAN = compile_decode_plan()
