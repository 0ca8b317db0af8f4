"""Compiled kernels of the segment grid (numba, cache=True).

Geometry convention: a segment is the straight line between two vertices in the lon/lat plane
(the GIS/GeoJSON convention, and how the source maps were drawn). Metric work happens in a local
equirectangular frame on the WGS84 ellipsoid (meridional radius M, prime-vertical radius N at the
local latitude). That frame is *affine* in lon/lat, so closest points and intersections found in it
lie exactly on the lon/lat segments; only the metric is approximated, and the final distance is
re-measured at the mid-latitude of the two points it joins, which agrees with WGS84 geodesics to
well under a metre at 20 km and 60 N.

Grid: rows of constant latitude height (dlat degrees >= cell_m everywhere), each row split into its
own number of equal longitude columns (cells about cell_m wide at the row's equator-side edge) and
wrapping at the antimeridian. A segment is registered in the cells of points sampled along it at most
`spacing` metres apart, so every point of the segment is within spacing/2 of a registered sample;
queries therefore search `radius + spacing/2` around themselves.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from seawarden.numba_hash import fib_hash

A = 6378137.0
F = 1.0 / 298.257223563
E2 = F * (2.0 - F)
DEG = math.pi / 180.0
#: lower bounds of metres per degree (latitude at the equator; longitude per cos(lat) at the equator)
M_PER_DEG_LAT_MIN = 110574.0
M_PER_DEG_LON_EQ = 111319.49
#: upper bound of metres per degree along any lon/lat-straight path, per axis
M_PER_DEG_MAX = 111700.0


@nb.njit(cache=True, nogil=True, inline="always")
def _scales(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude at `lat` on WGS84."""
    phi = lat * DEG
    s = math.sin(phi)
    w = 1.0 - E2 * s * s
    sw = math.sqrt(w)
    return A / sw * math.cos(phi) * DEG, A * (1.0 - E2) / (w * sw) * DEG


@nb.njit(cache=True, nogil=True, inline="always")
def _wrap(d: float) -> float:
    if d >= 180.0:
        return d - 360.0
    if d < -180.0:
        return d + 360.0
    return d


@nb.njit(cache=True, nogil=True, inline="always")
def _closest_t(ax: float, ay: float, bx: float, by: float) -> float:
    """Parameter of the point of segment a-b closest to the origin (metric coordinates)."""
    vx = bx - ax
    vy = by - ay
    l2 = vx * vx + vy * vy
    if l2 <= 0.0:
        return 0.0
    t = -(ax * vx + ay * vy) / l2
    if t < 0.0:
        return 0.0
    if t > 1.0:
        return 1.0
    return t


@nb.njit(cache=True, nogil=True, inline="always")
def _refined(px: float, py: float, dax: float, day: float, dbx: float, dby: float, t: float) -> tuple[float, float]:
    """Distance (m) and parameter, re-solved in the frame at the mid-latitude of point and foot."""
    fy = day + t * (dby - day)
    kx, ky = _scales(py + 0.5 * fy)
    t = _closest_t(dax * kx, day * ky, dbx * kx, dby * ky)
    fx = dax + t * (dbx - dax)
    fy = day + t * (dby - day)
    kx, ky = _scales(py + 0.5 * fy)
    return math.hypot(fx * kx, fy * ky), t


# -- grid construction ------------------------------------------------------------------------------


@nb.njit(cache=True, nogil=True)
def _row_ncols(row_min: int, nrows: int, dlat: float, cell_m: float) -> np.ndarray:
    out = np.empty(nrows, dtype=np.int64)
    for r in range(nrows):
        lo = -90.0 + (row_min + r) * dlat
        hi = lo + dlat
        edge = 0.0 if (lo <= 0.0 <= hi) else min(abs(lo), abs(hi))
        edge = min(edge, 90.0)
        out[r] = max(1, int(360.0 * M_PER_DEG_LON_EQ * math.cos(edge * DEG) / cell_m))
    return out


@nb.njit(cache=True, nogil=True, inline="always")
def _cell_key(x: float, y: float, dlat: float, row_min: int, nrows: int, row_ncols, row_offset) -> int:
    r = int(math.floor((y + 90.0) / dlat)) - row_min
    if r < 0 or r >= nrows:
        return -1
    nc = row_ncols[r]
    c = int(math.floor((_wrap(x) + 180.0) / (360.0 / nc))) % nc
    return row_offset[r] + c


@nb.njit(cache=True, nogil=True)
def _segment_samples(ax, ay, bx, by, spacing: float) -> np.ndarray:
    """Number of intervals to cut each segment into so samples are <= spacing metres apart."""
    n = ax.size
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        cmax = 1.0 if (ay[i] <= 0.0 <= by[i] or by[i] <= 0.0 <= ay[i]) else max(math.cos(ay[i] * DEG), math.cos(by[i] * DEG))
        lx = abs(bx[i] - ax[i]) * M_PER_DEG_MAX * cmax
        ly = abs(by[i] - ay[i]) * M_PER_DEG_MAX
        out[i] = max(1, int(math.ceil(math.hypot(lx, ly) / spacing)))
    return out


@nb.njit(cache=True, nogil=True)
def _sample_keys(ax, ay, bx, by, nint, dlat, row_min, nrows, row_ncols, row_offset) -> tuple[np.ndarray, np.ndarray]:
    total = 0
    for i in range(ax.size):
        total += nint[i] + 1
    keys = np.empty(total, dtype=np.int64)
    segs = np.empty(total, dtype=np.int64)
    m = 0
    for i in range(ax.size):
        k = nint[i]
        for j in range(k + 1):
            f = j / k
            key = _cell_key(ax[i] + f * (bx[i] - ax[i]), ay[i] + f * (by[i] - ay[i]), dlat, row_min, nrows, row_ncols, row_offset)
            if key >= 0:
                keys[m] = key
                segs[m] = i
                m += 1
    return keys[:m], segs[:m]


def build_grid(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, cell_m: float, spacing: float):
    """CSR grid of segment ids: (dlat, row_min, row_ncols, row_offset, cell_start, cell_items)."""
    dlat = cell_m / M_PER_DEG_LAT_MIN
    if ax.size == 0:
        return dlat, 0, np.ones(1, dtype=np.int64), np.array([0, 1], dtype=np.int64), np.zeros(2, dtype=np.int64), np.zeros(0, dtype=np.int32)
    lat_min = float(min(ay.min(), by.min()))
    lat_max = float(max(ay.max(), by.max()))
    row_min = int(math.floor((lat_min + 90.0) / dlat))
    nrows = int(math.floor((lat_max + 90.0) / dlat)) - row_min + 1
    row_ncols = _row_ncols(row_min, nrows, dlat, cell_m)
    row_offset = np.zeros(nrows + 1, dtype=np.int64)
    np.cumsum(row_ncols, out=row_offset[1:])
    nint = _segment_samples(ax, ay, bx, by, spacing)
    keys, segs = _sample_keys(ax, ay, bx, by, nint, dlat, row_min, nrows, row_ncols, row_offset)
    pair = np.unique(keys * ax.size + segs)
    keys = pair // ax.size
    ncells = int(row_offset[-1])
    cell_start = np.zeros(ncells + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=ncells), out=cell_start[1:])
    return dlat, row_min, row_ncols, row_offset, cell_start, (pair % ax.size).astype(np.int32)


# -- queries ----------------------------------------------------------------------------------------


@nb.njit(cache=True, nogil=True, inline="always")
def _window(py: float, r: float, dlat: float, row_min: int, nrows: int) -> tuple[int, int, float]:
    """Row range and half-width in degrees of longitude covering radius r (m) around latitude py."""
    dl = r / M_PER_DEG_LAT_MIN
    lo = py - dl
    hi = py + dl
    r0 = max(int(math.floor((lo + 90.0) / dlat)) - row_min, 0)
    r1 = min(int(math.floor((hi + 90.0) / dlat)) - row_min, nrows - 1)
    far = max(abs(lo), abs(hi))
    dlon = r / (M_PER_DEG_LON_EQ * math.cos(far * DEG)) if far < 89.9 else 360.0
    return r0, r1, dlon


@nb.njit(cache=True, nogil=True, inline="always")
def _row_ranges(px: float, dlon: float, nc: int, base: int, cell_start) -> tuple[int, int, int, int]:
    """Item ranges [a0, a1) and [b0, b1) of the cells of one row within dlon degrees of px.
    Cells of a row are contiguous in the CSR arrays, so a row span is one slice (two if it wraps
    around the antimeridian) instead of one lookup per cell."""
    w = 360.0 / nc
    if 2.0 * dlon + w >= 360.0:
        return cell_start[base], cell_start[base + nc], 0, 0
    c0 = int(math.floor((px + 180.0 - dlon) / w))
    c1 = int(math.floor((px + 180.0 + dlon) / w))
    if c0 < 0:
        return cell_start[base + c0 + nc], cell_start[base + nc], cell_start[base], cell_start[base + min(c1, nc - 1) + 1]
    if c1 >= nc:
        return cell_start[base + c0], cell_start[base + nc], cell_start[base], cell_start[base + min(c1 - nc, nc - 1) + 1]
    return cell_start[base + c0], cell_start[base + c1 + 1], 0, 0


@nb.njit(cache=True, nogil=True, inline="always")
def _frame(py, radius, reach):
    """Metric scales at the point's latitude and the prefilter of a nearest search within ``radius``.

    The point-latitude frame errs by at most ~tan(lat) * (latitude gap) relative; the prefilter allows that."""
    kx0, ky0 = _scales(py)
    far = min(abs(py) + (radius + reach) / M_PER_DEG_LAT_MIN, 89.0)
    tol = 1.005 + math.tan(far * DEG) * (radius + reach) / 6356752.0
    return kx0, ky0, tol, radius * tol + 1.0


@nb.njit(cache=True, nogil=True, inline="always")
def _try_segment(s, px, py, ax, ay, bx, by, kx0, ky0, tol, limit, best, bseg, bt):
    """Segment ``s`` against the best so far: cheap span rejections, a planar estimate, then the exact distance.

    Returns the new (best, bseg, bt); ties go to the smaller segment id, so every caller answers alike.
    """
    dax = _wrap(ax[s] - px)
    dbx = dax + (bx[s] - ax[s])
    day = ay[s] - py
    dby = by[s] - py
    cut = min(limit, best * tol + 1.0)
    if (day > 0.0 and dby > 0.0 and min(day, dby) * ky0 > cut) or (day < 0.0 and dby < 0.0 and -max(day, dby) * ky0 > cut):
        return best, bseg, bt  # segment's latitude span is already too far
    if (dax > 0.0 and dbx > 0.0 and min(dax, dbx) * kx0 > cut * tol) or (dax < 0.0 and dbx < 0.0 and -max(dax, dbx) * kx0 > cut * tol):
        return best, bseg, bt  # longitude span too far (tol: the scale varies across the span)
    t = _closest_t(dax * kx0, day * ky0, dbx * kx0, dby * ky0)
    d1 = math.hypot((dax + t * (dbx - dax)) * kx0, (day + t * (dby - day)) * ky0)
    if d1 > limit or d1 > best * tol + 1.0:
        return best, bseg, bt
    d, t = _refined(px, py, dax, day, dbx, dby, t)
    if d < best or (d == best and s < bseg):
        return d, s, t
    return best, bseg, bt


@nb.njit(cache=True, nogil=True)
def nearest_kernel(qlon, qlat, radius, reach, dlat, row_min, row_ncols, row_offset, cell_start, cell_items,
                   ax, ay, bx, by, out_seg, out_dist, out_t):
    """Exact nearest segment within `radius` metres for each query point (-1 / inf if none)."""
    nrows = row_ncols.size
    for i in range(qlon.size):
        px = qlon[i]
        py = qlat[i]
        best = np.inf
        bseg = -1
        bt = np.nan
        if math.isfinite(px) and math.isfinite(py) and -90.0 <= py <= 90.0:
            px = _wrap(px)
            r0, r1, dlon = _window(py, radius + reach, dlat, row_min, nrows)
            kx0, ky0, tol, limit = _frame(py, radius, reach)
            for row in range(r0, r1 + 1):
                a0, a1, b0, b1 = _row_ranges(px, dlon, row_ncols[row], row_offset[row], cell_start)
                for jj in range((a1 - a0) + (b1 - b0)):
                    j = a0 + jj if jj < a1 - a0 else b0 + jj - (a1 - a0)
                    best, bseg, bt = _try_segment(cell_items[j], px, py, ax, ay, bx, by, kx0, ky0, tol, limit, best, bseg, bt)
            if best > radius:
                best = np.inf
                bseg = -1
                bt = np.nan
        out_seg[i] = bseg
        out_dist[i] = best
        out_t[i] = bt


# -- nearest through a cache of per-fine-cell candidate lists ----------------------------------------
#
# A ship reports every few seconds and moves tens of metres, and ships follow lanes: the same small
# cells are queried over and over. For a fine cell C with centre c and half-diagonal h, any point p
# in C has nearest distance <= min_s d(c, s) + h, and a segment s can only be nearest to p if
# d(c, s) - h <= that bound. So the few segments with d(c, s) <= min(dmin + 2h, radius + h) are the
# only candidates for every point of C; they are found once (one window scan of the coarse grid)
# and kept, sorted by d(c, s) so the first candidate is usually the answer and the rest are pruned
# by their bounding boxes. The answer is exact: the same distance computation as nearest_kernel,
# the same tie rule (smaller distance, then smaller segment id).

CACHE_EMPTY = -1


@nb.njit(cache=True, nogil=True)
def _rehash(hkeys, hvals, cap):
    nk = np.full(cap, CACHE_EMPTY, dtype=np.int64)
    nv = np.empty(cap, dtype=np.int64)
    mask = cap - 1
    for j in range(hkeys.size):
        k = hkeys[j]
        if k == CACHE_EMPTY:
            continue
        h = fib_hash(k, mask)
        while nk[h] != CACHE_EMPTY:
            h = (h + 1) & mask
        nk[h] = k
        nv[h] = hvals[j]
    return nk, nv


@nb.njit(cache=True, nogil=True)
def _cell_candidates(cx, cy, h, radius, reach, dlat, row_min, row_ncols, row_offset, cell_start, cell_items,
                     ax, ay, bx, by, stamp, tag, buf_s, buf_d) -> int:
    """Candidates of the fine cell centred (cx, cy) with half-diagonal h (m) into buf_s (sorted by
    distance from the centre, buf_d); returns their number."""
    nrows = row_ncols.size
    reachable = radius + h
    r0, r1, dlon = _window(cy, reachable + reach, dlat, row_min, nrows)
    m = 0
    dmin = np.inf
    kx0, ky0 = _scales(cy)
    for row in range(r0, r1 + 1):
        a0, a1, b0, b1 = _row_ranges(cx, dlon, row_ncols[row], row_offset[row], cell_start)
        for jj in range((a1 - a0) + (b1 - b0)):
            j = a0 + jj if jj < a1 - a0 else b0 + jj - (a1 - a0)
            s = cell_items[j]
            if stamp[s] == tag:
                continue
            stamp[s] = tag
            dax = _wrap(ax[s] - cx)
            dbx = dax + (bx[s] - ax[s])
            day = ay[s] - cy
            dby = by[s] - cy
            # the frame errs by well under 1 % at these ranges: keep a margin on every bound
            cut = min(dmin + 2.0 * h, reachable) * 1.02 + 10.0
            if (day > 0.0 and dby > 0.0 and min(day, dby) * ky0 > cut) or (day < 0.0 and dby < 0.0 and -max(day, dby) * ky0 > cut):
                continue
            if (dax > 0.0 and dbx > 0.0 and min(dax, dbx) * kx0 > cut) or (dax < 0.0 and dbx < 0.0 and -max(dax, dbx) * kx0 > cut):
                continue
            t = _closest_t(dax * kx0, day * ky0, dbx * kx0, dby * ky0)
            if math.hypot((dax + t * (dbx - dax)) * kx0, (day + t * (dby - day)) * ky0) > cut * 1.02:
                continue
            d, t = _refined(cx, cy, dax, day, dbx, dby, t)
            if d > reachable * 1.01 + 5.0:
                continue
            buf_s[m] = s
            buf_d[m] = d
            m += 1
            if d < dmin:
                dmin = d
    limit = min(dmin + 2.0 * h, reachable) * 1.01 + 5.0
    k = 0
    for q in range(m):
        if buf_d[q] <= limit:
            buf_s[k] = buf_s[q]
            buf_d[k] = buf_d[q]
            k += 1
    order = np.argsort(buf_d[:k], kind="mergesort")
    tmp = buf_s[:k].copy()
    for q in range(k):
        buf_s[q] = tmp[order[q]]
    return k


@nb.njit(cache=True, nogil=True)
def nearest_cached_kernel(qlon, qlat, radius, reach, fine_deg, dlat, row_min, row_ncols, row_offset, cell_start,
                          cell_items, ax, ay, bx, by, hkeys, hvals, cstart, citems, state, out_seg, out_dist, out_t):
    """nearest_kernel's answers through the fine-cell candidate cache (hkeys/hvals: open-addressing
    map cell key -> cell number; cstart/citems: CSR candidate lists; state = [cells, items]).
    Returns the (possibly grown) cache arrays."""
    nseg = ax.size
    stamp = np.full(nseg, -1, dtype=np.int64)
    buf_s = np.empty(max(nseg, 1), dtype=np.int32)
    buf_d = np.empty(max(nseg, 1))
    ncol = int(math.ceil(360.0 / fine_deg))
    ncells = state[0]
    nitems = state[1]
    mask = hkeys.size - 1
    for i in range(qlon.size):
        px = qlon[i]
        py = qlat[i]
        best = np.inf
        bseg = -1
        bt = np.nan
        if math.isfinite(px) and math.isfinite(py) and -90.0 <= py <= 90.0:
            px = _wrap(px)
            fr = int(math.floor((py + 90.0) / fine_deg))
            fc = int(math.floor((px + 180.0) / fine_deg)) % ncol
            key = fr * ncol + fc
            h = fib_hash(key, mask)
            while hkeys[h] != CACHE_EMPTY and hkeys[h] != key:
                h = (h + 1) & mask
            if hkeys[h] == CACHE_EMPTY:
                lat0 = fr * fine_deg - 90.0
                lat1 = lat0 + fine_deg
                near_eq = 0.0 if lat0 <= 0.0 <= lat1 else min(abs(lat0), abs(lat1))
                half = 0.5 * math.hypot(fine_deg * M_PER_DEG_MAX * math.cos(min(near_eq, 90.0) * DEG),
                                        fine_deg * M_PER_DEG_MAX)
                half = half * 1.01 + 1.0
                cx = _wrap(fc * fine_deg - 180.0 + 0.5 * fine_deg)
                cy = min(max(lat0 + 0.5 * fine_deg, -90.0), 90.0)
                k = _cell_candidates(cx, cy, half, radius, reach, dlat, row_min, row_ncols, row_offset, cell_start,
                                     cell_items, ax, ay, bx, by, stamp, ncells, buf_s, buf_d)
                if ncells + 2 > cstart.size:
                    cstart = _grow(cstart, 2 * cstart.size)
                if nitems + k > citems.size:
                    citems = _grow(citems, max(2 * citems.size, nitems + k))
                citems[nitems:nitems + k] = buf_s[:k]
                cstart[ncells] = nitems
                nitems += k
                cstart[ncells + 1] = nitems
                hkeys[h] = key
                hvals[h] = ncells
                ncells += 1
                if 2 * ncells > hkeys.size:
                    hkeys, hvals = _rehash(hkeys, hvals, 2 * hkeys.size)
                    mask = hkeys.size - 1
                    h = fib_hash(key, mask)
                    while hkeys[h] != key:
                        h = (h + 1) & mask
            cell = hvals[h]
            if cstart[cell + 1] > cstart[cell]:  # (a third of the fixes lie far from every asset)
                kx0, ky0, tol, limit = _frame(py, radius, reach)
                for j in range(cstart[cell], cstart[cell + 1]):
                    best, bseg, bt = _try_segment(citems[j], px, py, ax, ay, bx, by, kx0, ky0, tol, limit, best, bseg, bt)
            if best > radius:
                best = np.inf
                bseg = -1
                bt = np.nan
        out_seg[i] = bseg
        out_dist[i] = best
        out_t[i] = bt
    state[0] = ncells
    state[1] = nitems
    return hkeys, hvals, cstart, citems


@nb.njit(cache=True, nogil=True)
def _grow(a, n):
    b = np.empty(n, dtype=a.dtype)
    b[: a.size] = a
    return b


@nb.njit(cache=True, nogil=True)
def crossings_kernel(lon0, lat0, lon1, lat1, spacing, reach, dlat, row_min, row_ncols, row_offset, cell_start,
                     cell_items, ax, ay, bx, by, closed_end):
    """Every proper intersection of vessel segments (pairs) with indexed segments.

    Half-open parameters (vessel [0,1), asset [0,1) except a part's last segment [0,1]) make a
    crossing exactly at a shared vertex count once."""
    nrows = row_ncols.size
    stamp = np.full(ax.size, -1, dtype=np.int64)
    cap = 256
    o_pair = np.empty(cap, dtype=np.int64)
    o_seg = np.empty(cap, dtype=np.int64)
    o_t = np.empty(cap)
    o_u = np.empty(cap)
    o_ang = np.empty(cap)
    m = 0
    for i in range(lon0.size):
        x0 = lon0[i]
        y0 = lat0[i]
        if not (math.isfinite(x0) and math.isfinite(y0) and math.isfinite(lon1[i]) and math.isfinite(lat1[i])):
            continue
        x0 = _wrap(x0)
        dx = _wrap(lon1[i] - x0)
        dy = lat1[i] - y0
        if dx == 0.0 and dy == 0.0:
            continue
        kx, ky = _scales(y0 + 0.5 * dy)
        rx = dx * kx
        ry = dy * ky
        seg_len = math.hypot(rx, ry)
        nint = max(1, int(math.ceil(seg_len * 1.02 / spacing)))
        search = 0.5 * spacing + reach
        for si in range(nint + 1):
            f = si / nint
            sx = _wrap(x0 + f * dx)
            sy = y0 + f * dy
            r0, r1, dlon = _window(sy, search, dlat, row_min, nrows)
            for row in range(r0, r1 + 1):
                a0, a1, b0, b1 = _row_ranges(sx, dlon, row_ncols[row], row_offset[row], cell_start)
                for jj in range((a1 - a0) + (b1 - b0)):
                    j = a0 + jj if jj < a1 - a0 else b0 + jj - (a1 - a0)
                    s = cell_items[j]
                    if stamp[s] == i:
                        continue
                    stamp[s] = i
                    qx = _wrap(ax[s] - x0) * kx
                    qy = (ay[s] - y0) * ky
                    ex = (bx[s] - ax[s]) * kx
                    ey = (by[s] - ay[s]) * ky
                    den = rx * ey - ry * ex
                    if den == 0.0:
                        continue  # parallel or collinear: running along is not crossing
                    t = (qx * ey - qy * ex) / den
                    u = (qx * ry - qy * rx) / den
                    if t < 0.0 or t >= 1.0 or u < 0.0:
                        continue
                    if u > 1.0 or (u == 1.0 and not closed_end[s]):
                        continue
                    kx2, ky2 = _scales(y0 + t * dy)
                    vx = dx * kx2
                    vy = dy * ky2
                    gx = (bx[s] - ax[s]) * kx2
                    gy = (by[s] - ay[s]) * ky2
                    cosang = abs(vx * gx + vy * gy) / (math.hypot(vx, vy) * math.hypot(gx, gy))
                    if m == cap:
                        cap *= 2
                        o_pair = _grow(o_pair, cap)
                        o_seg = _grow(o_seg, cap)
                        o_t = _grow(o_t, cap)
                        o_u = _grow(o_u, cap)
                        o_ang = _grow(o_ang, cap)
                    o_pair[m] = i
                    o_seg[m] = s
                    o_t[m] = t
                    o_u[m] = u
                    o_ang[m] = math.degrees(math.acos(min(1.0, cosang)))
                    m += 1
    return o_pair[:m], o_seg[:m], o_t[:m], o_u[:m], o_ang[:m]


@nb.njit(cache=True, nogil=True)
def along_m(seg, t, ax, ay, bx, by):
    """Metres from each segment's start to parameter t along the lon/lat-straight segment
    (Simpson's rule on the local metric; exact enough because the scale varies smoothly)."""
    out = np.full(seg.size, np.nan)
    for i in range(seg.size):
        s = seg[i]
        if s < 0:
            continue
        dx = _wrap(bx[s] - ax[s]) * t[i]
        dy = (by[s] - ay[s]) * t[i]
        acc = 0.0
        for j, wgt in ((0, 1.0), (1, 4.0), (2, 1.0)):
            kx, ky = _scales(ay[s] + 0.5 * j * dy)
            acc += wgt * math.hypot(dx * kx, dy * ky)
        out[i] = acc / 6.0
    return out
