"""Raw decoded integers -> contract columns, vectorised.

Scaling and the AIS "not available" sentinels live here, once: lat 91 / lon 181 deg,
sog 102.3 kn, cog 360 deg, heading 511, rot -128, second >= 60, ship type / dimensions /
draught / IMO 0 all become nulls. Positions outside the globe are impossible values and
reject the row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawarden.ingest.nmea.layouts import TEXT_CHARS, TEXT_OFFSET, Col, Text


def masked(values: np.ndarray, null: np.ndarray, type_: pa.DataType) -> pa.Array:
    """An Arrow array of ``values`` with nulls where ``null`` is true."""
    return pa.array(values, type=type_, mask=null)


def text_column(texts: np.ndarray, which: Text, applies: np.ndarray) -> pa.Array:
    """6-bit ASCII text -> strings, trimmed like pyais ('@' padding, spaces); empty -> null."""
    width = TEXT_CHARS[which]
    off = TEXT_OFFSET[which]
    block = np.ascontiguousarray(texts[:, off : off + width])
    raw = pa.array(block.view(f"S{width}").ravel(), type=pa.binary())
    strings = pc.utf8_trim_whitespace(pc.utf8_rtrim(raw.cast(pa.string()), characters="@"))
    empty = pc.equal(pc.utf8_length(strings), 0).to_numpy(zero_copy_only=False)
    return pc.if_else(pa.array(~applies | empty), pa.scalar(None, pa.string()), strings)


def lat_lon(ints: np.ndarray, mtype: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Degrees for every row, where the position is not available, and which rows are impossible."""
    coarse = mtype == 27  # type 27 uses 1/10 minute
    scale = np.where(coarse, 600.0, 600000.0)
    lat_raw = ints[:, Col.LAT]
    lon_raw = ints[:, Col.LON]
    lat_na = lat_raw == np.where(coarse, 91 * 600, 91 * 600000)
    lon_na = lon_raw == np.where(coarse, 181 * 600, 181 * 600000)
    lat = lat_raw / scale
    lon = lon_raw / scale
    impossible = (~lat_na & (np.abs(lat) > 90.0)) | (~lon_na & (np.abs(lon) > 180.0))
    return lat, lon, lat_na | lon_na, impossible


def eta_ms(ints: np.ndarray, ts_ms: np.ndarray, applies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ETA month/day/hour/minute -> epoch ms of its next occurrence around the report time.

    AIS sends no year: the ETA is taken in the report's year, or the next one when that
    would put it more than ~half a year in the past. Invalid dates (Feb 30) are null.
    """
    month = ints[:, Col.ETA_MONTH]
    day = ints[:, Col.ETA_DAY]
    hour = ints[:, Col.ETA_HOUR]
    minute = ints[:, Col.ETA_MINUTE]
    null = ~applies | (month < 1) | (month > 12) | (day < 1) | (hour > 23) | (minute > 59)
    year = ts_ms.astype("datetime64[ms]").astype("datetime64[Y]").astype(np.int64) + 1970
    out = np.zeros(len(ts_ms), dtype=np.int64)
    ok = ~null
    for bump in (0, 1):
        y = year + bump
        months = (y - 1970) * 12 + np.clip(month, 1, 12) - 1
        first = months.astype("datetime64[M]").astype("datetime64[D]")
        dim = ((months + 1).astype("datetime64[M]").astype("datetime64[D]") - first).astype(np.int64)
        valid = day <= dim
        stamp = (first.astype(np.int64) + np.clip(day, 1, 31) - 1) * 86_400_000 + (hour * 60 + minute) * 60_000
        take = ok & valid & ((bump == 1) | (stamp >= ts_ms - 183 * 86_400_000))
        if bump == 0:
            out = np.where(take, stamp, out)
            done = take
        else:
            out = np.where(~done & take, stamp, out)
            done = done | take
    return out, null | ~done
