"""Raw decoded integers -> contract columns, vectorised.

Scaling and the AIS "not available" sentinels live here, once: lat 91 / lon 181 deg,
sog 102.3 kn, cog 360 deg, heading 511, rot -128, second >= 60, ship type / dimensions /
draught / IMO 0 all become nulls. Positions outside the globe are impossible values and
reject the row.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import pyarrow as pa

from seawarden.ingest.nmea.kernel import days_from_civil
from seawarden.ingest.nmea.layouts import POSITION_TYPES, STATIC_TYPES, TEXT_CHARS, TEXT_OFFSET, Col, Text
from seawarden.ingest.rejects import Reason

IMPOSSIBLE_VALUE = int(Reason.IMPOSSIBLE_VALUE)
#: layout columns position_values reads, in its order
POSITION_COLS = np.array([Col.MMSI, Col.LAT, Col.LON, Col.SOG, Col.COG, Col.HEADING, Col.NAV_STATUS, Col.ROT,
                          Col.ACCURACY, Col.SECOND], dtype=np.int64)


def masked(values: np.ndarray, null: np.ndarray, type_: pa.DataType) -> pa.Array:
    """An Arrow array of ``values`` with nulls where ``null`` is true."""
    return pa.array(values, type=type_, mask=null)


def text_column(texts: np.ndarray, which: Text, applies: np.ndarray) -> pa.Array:
    """6-bit ASCII text -> strings, trimmed like pyais (trailing '@' padding, then spaces); empty -> null.

    One compiled pass straight into Arrow's buffers: the chain of Arrow string kernels it replaces
    cost ~90 us per column and batch however few rows it had (live feeds send small batches).
    """
    offsets, data, valid = _trimmed_texts(texts, TEXT_OFFSET[which], TEXT_CHARS[which], applies)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(len(valid), pa.py_buffer(offsets), pa.py_buffer(data), bitmap)


@nb.njit(cache=True, nogil=True)
def _trimmed_texts(texts, off, width, applies):
    n = texts.shape[0]
    offsets = np.zeros(n + 1, np.int32)
    data = np.empty(n * width, np.uint8)
    valid = np.zeros(n, np.bool_)
    total = 0
    for r in range(n):
        offsets[r] = total
        if not applies[r]:
            continue
        a = off
        b = off + width
        while b > a and texts[r, b - 1] == 64:  # '@' padding
            b -= 1
        while b > a and texts[r, b - 1] == 32:
            b -= 1
        while a < b and texts[r, a] == 32:
            a += 1
        if b > a:
            valid[r] = True
            for c in range(a, b):
                data[total] = texts[r, c]
                total += 1
    offsets[n] = total
    return offsets, data[:total], valid


def other_positions(rows: np.ndarray, mtype: np.ndarray, ints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Degrees and validity of the position carried by "other" types (4, 9, 11, 21), in one pass."""
    return _other_positions(rows, mtype, ints, HAS_OTHER_POSITION, int(Col.LAT), int(Col.LON))


@nb.njit(cache=True, nogil=True)
def _other_positions(rows, mtype, ints, has_position, c_lat, c_lon):
    n = rows.shape[0]
    lat = np.empty(n, np.float64)
    lon = np.empty(n, np.float64)
    valid = np.empty(n, np.bool_)
    for k in range(n):
        m = rows[k]
        la = ints[m, c_lat]
        lo = ints[m, c_lon]
        lat[k] = la / 600000.0
        lon[k] = lo / 600000.0
        valid[k] = has_position[mtype[m]] and la != 91 * 600000 and lo != 181 * 600000
    return lat, lon, valid


def eta_ms(ints: np.ndarray, ts_ms: np.ndarray, applies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ETA month/day/hour/minute -> epoch ms of its next occurrence around the report time.

    AIS sends no year: the ETA is taken in the report's year, or the next one when that
    would put it more than ~half a year in the past. Invalid dates (Feb 30) are null.
    Returns (ms, null).
    """
    # contiguous copies of the (few) static rows' columns: a column of a one-row matrix is contiguous, of a larger one
    # strided, and each layout is a separate numba compilation (one met mid-stream stalled a live feed)
    cols = (np.ascontiguousarray(ints[:, c]) for c in (Col.ETA_MONTH, Col.ETA_DAY, Col.ETA_HOUR, Col.ETA_MINUTE))
    return _eta(*cols, np.ascontiguousarray(ts_ms, np.int64), np.ascontiguousarray(applies))


@nb.njit(cache=True, nogil=True)
def _year_of(days: int) -> int:
    """Proleptic Gregorian year of a day count since 1970-01-01 (H. Hinnant's civil_from_days)."""
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    return yoe + era * 400 + (1 if mp >= 10 else 0)  # months 11, 12 of the March-based year: January, February


@nb.njit(cache=True, nogil=True)
def _eta(month, day, hour, minute, ts_ms, applies):
    n = ts_ms.shape[0]
    out = np.zeros(n, np.int64)
    null = np.ones(n, np.bool_)
    for r in range(n):
        mo, d, h, mi = month[r], day[r], hour[r], minute[r]
        if not applies[r] or mo < 1 or mo > 12 or d < 1 or h > 23 or mi > 59:
            continue
        year = _year_of(ts_ms[r] // 86_400_000)
        for bump in range(2):
            y = year + bump
            first = days_from_civil(y, mo, 1)
            days_in_month = (days_from_civil(y + 1, 1, 1) if mo == 12 else days_from_civil(y, mo + 1, 1)) - first
            if d > days_in_month:
                continue
            stamp = (first + d - 1) * 86_400_000 + (h * 60 + mi) * 60_000
            if bump == 1 or stamp >= ts_ms[r] - 183 * 86_400_000:
                out[r] = stamp
                null[r] = False
                break
    return out, null


def arrow_column(values: np.ndarray, valid: np.ndarray, type_: pa.DataType) -> pa.Array:
    """Numeric or boolean values with a validity mask as an Arrow array (numbers share the values
    buffer; booleans are packed to Arrow's bits, ~8x cheaper than ``pa.array`` on a NumPy bool array)."""
    if pa.types.is_boolean(type_):
        values = np.packbits(np.asarray(values, np.bool_), bitorder="little")
    else:
        values = np.ascontiguousarray(values, dtype=type_.to_pandas_dtype())
    if valid.all():
        return pa.Array.from_buffers(type_, len(valid), [None, pa.py_buffer(values)])
    bitmap = np.packbits(valid, bitorder="little")
    return pa.Array.from_buffers(type_, len(valid), [pa.py_buffer(bitmap), pa.py_buffer(values)])


def type_table(types: tuple[int, ...]) -> np.ndarray:
    """Message type (0..63) -> membership, so a lookup replaces ``np.isin`` on every row."""
    table = np.zeros(64, np.bool_)
    table[list(types)] = True
    return table


IS_POSITION = type_table(POSITION_TYPES)
IS_STATIC = type_table(STATIC_TYPES)
HAS_OTHER_POSITION = type_table((4, 9, 11, 21))  # base station, SAR aircraft, UTC response, aid to navigation


def screen(mtype: np.ndarray, status: np.ndarray, ints: np.ndarray) -> np.ndarray:
    """Final status per message: positions off the globe and MMSI 0 are impossible values."""
    return _screen(mtype, status, ints, IS_POSITION, IS_STATIC, int(Col.MMSI), int(Col.LAT), int(Col.LON))


@nb.njit(cache=True, nogil=True)
def _screen(mtype, status, ints, is_position, is_static, c_mmsi, c_lat, c_lon):
    """One pass of the impossible-position test (off the globe) and the MMSI 0 test (no temporaries)."""
    n = mtype.shape[0]
    out = np.empty(n, np.int16)
    for m in range(n):
        out[m] = status[m]
        if status[m] != 0:
            continue
        t = mtype[m]
        position = is_position[t]
        if (position or is_static[t]) and ints[m, c_mmsi] == 0:
            out[m] = IMPOSSIBLE_VALUE
        elif position:
            scale = 600 if t == 27 else 600000  # type 27: 1/10 minute
            la = ints[m, c_lat]
            lo = ints[m, c_lon]
            if (la != 91 * scale and abs(la) > 90 * scale) or (lo != 181 * scale and abs(lo) > 180 * scale):
                out[m] = IMPOSSIBLE_VALUE
    return out


@nb.njit(cache=True, nogil=True)
def position_values(rows, mtype, ints, c):
    """Every POSITIONS value column and its validity, in one pass over the chosen rows.

    ``c`` holds the layout column indices (see Col). Nulls: lat 91 / lon 181 (1/10 minute
    units for type 27), sog 102.3 (63 for type 27), cog >= 360, heading >= 360 (511 = n/a),
    rot -128 and +-127 (no rate), second >= 60; class B and type 27 carry no rot, type 27 no
    heading or second, class B no navigational status.
    """
    n = rows.shape[0]
    mmsi = np.empty(n, np.uint32)
    lat = np.empty(n, np.float64)
    lon = np.empty(n, np.float64)
    pos_ok = np.empty(n, np.bool_)
    sog = np.empty(n, np.float32)
    sog_ok = np.empty(n, np.bool_)
    cog = np.empty(n, np.float32)
    cog_ok = np.empty(n, np.bool_)
    hdg = np.empty(n, np.uint16)
    hdg_ok = np.empty(n, np.bool_)
    nav = np.empty(n, np.uint8)
    nav_ok = np.empty(n, np.bool_)
    rot = np.empty(n, np.float32)
    rot_ok = np.empty(n, np.bool_)
    acc = np.empty(n, np.bool_)
    sec = np.empty(n, np.uint8)
    sec_ok = np.empty(n, np.bool_)
    for k in range(n):
        m = rows[k]
        t = mtype[m]
        coarse = t == 27
        class_a = t == 1 or t == 2 or t == 3
        mmsi[k] = ints[m, c[0]]
        la = ints[m, c[1]]
        lo = ints[m, c[2]]
        if coarse:
            pos_ok[k] = la != 91 * 600 and lo != 181 * 600
            lat[k] = la / 600.0
            lon[k] = lo / 600.0
            s = ints[m, c[3]]
            sog[k] = s
            sog_ok[k] = s != 63
            g = ints[m, c[4]]
            cog[k] = g
            cog_ok[k] = g < 360
        else:
            pos_ok[k] = la != 91 * 600000 and lo != 181 * 600000
            lat[k] = la / 600000.0
            lon[k] = lo / 600000.0
            s = ints[m, c[3]]
            sog[k] = s / 10.0
            sog_ok[k] = s != 1023
            g = ints[m, c[4]]
            cog[k] = g / 10.0
            cog_ok[k] = g < 3600
        h = ints[m, c[5]]
        hdg[k] = h
        hdg_ok[k] = not coarse and h < 360
        nav[k] = ints[m, c[6]]
        nav_ok[k] = class_a or coarse
        r = ints[m, c[7]]
        rot_ok[k] = class_a and -127 < r < 127
        q = (r / 4.733) ** 2
        rot[k] = q if r >= 0 else -q
        acc[k] = ints[m, c[8]] != 0
        sc = ints[m, c[9]]
        sec[k] = sc
        sec_ok[k] = not coarse and sc < 60
    return (mmsi, lat, lon, pos_ok, sog, sog_ok, cog, cog_ok, hdg, hdg_ok, nav, nav_ok, rot, rot_ok, acc, sec, sec_ok)
