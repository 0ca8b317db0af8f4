"""The NMEA hot path: numba single passes over raw bytes.

``scan_lines`` frames lines and classifies each one (tag blocks, ``$PGHP``, ``!xxVDM``),
validating checksums and fields without creating a Python object per line.
``decode_payloads_into`` then turns the payloads (single sentences, then reassembled
multi-part ones) into integer/text columns driven by the layout tables of :mod:`.layouts`.
Every index is checked against the line end before it is read: this code meets arbitrary
bytes (the fuzz tests run it with NUMBA_BOUNDSCHECK=1).

Measured dead ends in ``scan_lines`` (each slower, by 5-25 %, on the DMA stream): helpers
inlined into the line loop, small scratch arrays written inside it (comma positions, field
values, a $PGHP prefix cache), a separate vectorised checksum pass, reading the sentence while
looking for the line end. The loop is sensitive to anything added to it: measure (A/B in one
process, CPU time) before keeping a change.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from seawarden.ingest.nmea.layouts import KEY_24B, N_INT_COLS, TEXT_TOTAL
from seawarden.ingest.rejects import Reason

NO_TS = np.iinfo(np.int64).min

ACCEPTED = int(Reason.ACCEPTED)
BAD_CHECKSUM = int(Reason.BAD_CHECKSUM)
TRUNCATED = int(Reason.TRUNCATED)
BAD_PAYLOAD_LENGTH = int(Reason.BAD_PAYLOAD_LENGTH)
UNKNOWN_TALKER = int(Reason.UNKNOWN_TALKER)
BAD_PAYLOAD_CHAR = int(Reason.BAD_PAYLOAD_CHAR)
IMPOSSIBLE_VALUE = int(Reason.IMPOSSIBLE_VALUE)
BAD_FILL_BITS = int(Reason.BAD_FILL_BITS)
NO_TIMESTAMP = int(Reason.NO_TIMESTAMP)
MALFORMED = int(Reason.MALFORMED)
BAD_TAG_BLOCK = int(Reason.BAD_TAG_BLOCK)
LINE_TOO_LONG = int(Reason.LINE_TOO_LONG)
EMPTY_PAYLOAD = int(Reason.EMPTY_PAYLOAD)
BLANK = int(Reason.BLANK)
COMMENT = int(Reason.COMMENT)
NOT_AIS = int(Reason.NOT_AIS)
TIMESTAMP_LINE = int(Reason.TIMESTAMP_LINE)

FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
MIX_PRIME = np.uint64(0x9E3779B97F4A7C15)
#: armoured character -> its 6-bit value (one load instead of two tests); the scan admits only '0'..'W', '`'..'w'
SIXBIT = np.array([(c - 48 - 8 * (c - 48 > 40)) & 63 for c in range(256)], dtype=np.uint64)


@nb.njit(cache=True, nogil=True, inline="always")
def _hex(c: int) -> int:
    if 48 <= c <= 57:
        return c - 48
    if 65 <= c <= 70:
        return c - 55
    if 97 <= c <= 102:
        return c - 87
    return -1


@nb.njit(cache=True, nogil=True)
def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    if m <= 2:
        y -= 1
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@nb.njit(cache=True, nogil=True)
def _uint(buf: np.ndarray, a: int, b: int) -> int:
    """Decimal digits in buf[a:b] as an int; -1 if empty, non-digit or absurdly long."""
    if b <= a or b - a > 15:
        return -1
    v = 0
    for k in range(a, b):
        c = buf[k]
        if c < 48 or c > 57:
            return -1
        v = v * 10 + (c - 48)
    return v


@nb.njit(cache=True, nogil=True)
def _fnv(buf: np.ndarray, a: int, b: int) -> np.uint64:
    h = FNV_OFFSET
    for k in range(a, b):
        h = (h ^ np.uint64(buf[k])) * FNV_PRIME
    return h if h != 0 else np.uint64(1)


@nb.njit(cache=True, nogil=True)
def _checksum_ok(buf: np.ndarray, a: int, star: int, e: int) -> int:
    """XOR of buf[a:star] against the two hex digits after '*': 1 ok, 0 bad, -1 missing/garbled."""
    if star + 2 >= e:
        return -1
    h1 = _hex(buf[star + 1])
    h2 = _hex(buf[star + 2])
    if h1 < 0 or h2 < 0:
        return -1
    x = 0
    for k in range(a, star):
        x ^= buf[k]
    return 1 if x == h1 * 16 + h2 else 0


@nb.njit(cache=True, nogil=True, inline="always")
def _remember(seen: np.ndarray, h: np.uint64) -> bool:
    """Add h to a small open-addressing set; True if it was not there yet."""
    mask = seen.shape[0] - 1
    slot = np.int64(h & np.uint64(mask))
    while seen[slot] != 0:
        if seen[slot] == h:
            return False
        slot = (slot + 1) & mask
    seen[slot] = h
    return True


@nb.njit(cache=True, nogil=True, inline="always")
def _record_station(seen, n_seen, def_hash, def_start, def_end, n_defs, h, a, b):
    """Note where station h's name lies the first time this chunk names it; returns the counts."""
    if seen[np.int64(h & np.uint64(seen.shape[0] - 1))] == h:  # fast path: seen already, first probe
        return n_defs, n_seen
    if _remember(seen, h):
        def_hash[n_defs] = h
        def_start[n_defs] = a
        def_end[n_defs] = b
        n_defs += 1
        n_seen += 1
        if 2 * n_seen > seen.shape[0]:  # forget; a name may then be recorded twice, harmlessly
            seen[:] = 0
            n_seen = 0
    return n_defs, n_seen


@nb.njit(cache=True, nogil=True)
def scan_lines(buf, talker_ok, fallback_ts, pending_ts, pending_src, frag_ts, frag_src, max_line):  # noqa: C901
    """Frame and classify every line of ``buf``.

    ``talker_ok`` is a 128x128 table (by the two ASCII bytes) of accepted talker ids; ``fallback_ts`` (ms, or NO_TS)
    stamps sentences that carry no time; ``pending_*`` carry a ``$PGHP``/lone tag block
    seen at the end of the previous chunk; ``frag_*`` the time and source of the last
    multi-part fragment, which later fragments without metadata of their own inherit (DMA
    puts one ``$PGHP`` before a whole multi-part message).

    Single-sentence messages come back compact with their decode outputs allocated (one row
    per line of capacity) but not yet filled: :func:`decode_payloads_into` fills rows
    ``0..n_msg`` from these, then the reassembled multi-part messages after them. (Decoding
    inside this loop was measured slower: the call per message costs more than a second
    pass over payloads that are still in cache.) Fragments come back separately.
    Returns per-line arrays, message arrays, fragment arrays, station definitions and the
    new carried state.
    """
    n = buf.shape[0]
    n_lines = 0
    for k in range(n):
        if buf[k] == 10:
            n_lines += 1
    if n > 0 and buf[n - 1] != 10:
        n_lines += 1

    status = np.empty(n_lines, np.int8)
    line_start = np.empty(n_lines, np.int64)
    line_end = np.empty(n_lines, np.int64)
    # messages (np.empty: untouched pages cost nothing; reassembled ones follow the single ones)
    m_line = np.empty(n_lines, np.int64)
    m_start = np.empty(n_lines, np.int64)
    m_end = np.empty(n_lines, np.int64)
    m_fill = np.empty(n_lines, np.int8)
    m_own = np.empty(n_lines, np.bool_)
    m_ts = np.empty(n_lines, np.int64)
    m_src = np.empty(n_lines, np.uint64)
    mtype = np.empty(n_lines, np.uint8)
    m_status = np.empty(n_lines, np.int8)
    ints = np.empty((n_lines, N_INT_COLS), np.int32)
    texts = np.empty((n_lines, TEXT_TOTAL), np.uint8)
    hashes = np.empty(n_lines, np.uint64)
    n_msg = 0
    # fragments of multi-part messages, compact
    fr_line = np.empty(n_lines, np.int64)
    fr_start = np.empty(n_lines, np.int64)
    fr_end = np.empty(n_lines, np.int64)
    fr_fill = np.empty(n_lines, np.int8)
    fr_cnt = np.empty(n_lines, np.int8)
    fr_num = np.empty(n_lines, np.int8)
    fr_seq = np.empty(n_lines, np.int8)
    fr_chan = np.empty(n_lines, np.uint8)
    fr_own = np.empty(n_lines, np.bool_)
    fr_ts = np.empty(n_lines, np.int64)
    fr_src = np.empty(n_lines, np.uint64)
    n_frag = 0
    # station names first defined in this chunk: hash and where its text lies
    def_hash = np.empty(n_lines, np.uint64)
    def_start = np.empty(n_lines, np.int64)
    def_end = np.empty(n_lines, np.int64)
    n_defs = 0
    seen = np.zeros(1024, np.uint64)  # small set of the hashes already recorded
    n_seen = 0
    last_date_key = -1
    last_days = 0
    last_tag_start = 0  # the last tag block parsed, and what it said (see the verbatim repeat below)
    last_tag_len = 0
    last_tb_ts = NO_TS
    last_tb_src = np.uint64(0)

    i = 0
    li = 0
    while i < n:
        j = i
        while j < n and buf[j] != 10:
            j += 1
        line_start[li] = i
        line_end[li] = j
        s = i
        e = j
        i = j + 1
        while e > s and (buf[e - 1] == 13 or buf[e - 1] == 32 or buf[e - 1] == 9 or buf[e - 1] == 0):
            e -= 1
        while s < e and (buf[s] == 32 or buf[s] == 9):
            s += 1

        if e == s:
            status[li] = BLANK
            li += 1
            continue
        if e - s > max_line:
            status[li] = LINE_TOO_LONG
            li += 1
            continue
        if buf[s] == 35:  # '#'
            status[li] = COMMENT
            li += 1
            continue

        # ---- NMEA 4.10 tag block: \key:value,...*hh\ ------------------------------------
        tb_ts = NO_TS
        tb_src = np.uint64(0)
        if buf[s] == 92:  # '\'
            # a tag block repeated verbatim says the same again (DMA sends one \si:...\ before every sentence):
            # comparing a dozen bytes is cheaper than parsing and checking them
            same = last_tag_len > 0 and s + last_tag_len <= e
            if same:
                for q in range(last_tag_len):
                    if buf[s + q] != buf[last_tag_start + q]:
                        same = False
                        break
            if same:
                k = s + last_tag_len - 1
                tb_ts = last_tb_ts
                tb_src = last_tb_src
            else:
                k = s + 1
                while k < e and buf[k] != 92:
                    k += 1
                if k >= e:
                    status[li] = BAD_TAG_BLOCK
                    li += 1
                    continue
                star = s + 1
                while star < k and buf[star] != 42:
                    star += 1
                if star >= k or star + 3 != k or _checksum_ok(buf, s + 1, star, k) != 1:
                    status[li] = BAD_TAG_BLOCK
                    li += 1
                    continue
                f = s + 1
                while f < star:
                    g = f
                    while g < star and buf[g] != 44:
                        g += 1
                    if g - f >= 2 and buf[f + 1] == 58:  # one-letter key followed by ':'
                        key = buf[f]
                        if key == 99:  # c: unix time, s or ms
                            v = _uint(buf, f + 2, g)
                            if v >= 0:
                                tb_ts = v if v > 100_000_000_000 else v * 1000
                        elif key == 115 and g > f + 2:  # s: source station
                            tb_src = _fnv(buf, f + 2, g)
                            n_defs, n_seen = _record_station(seen, n_seen, def_hash, def_start, def_end, n_defs,
                                                             tb_src, f + 2, g)
                    f = g + 1
                last_tag_start = s
                last_tag_len = k + 1 - s
                last_tb_ts = tb_ts
                last_tb_src = tb_src
            s = k + 1
            if s >= e:  # lone tag block: metadata for the next sentence
                if tb_ts != NO_TS:
                    pending_ts = tb_ts
                if tb_src != 0:
                    pending_src = tb_src
                status[li] = TIMESTAMP_LINE
                li += 1
                continue

        c0 = buf[s]
        is_vd = (
            e - s >= 6
            and (c0 == 33 or c0 == 36)
            and buf[s + 3] == 86
            and buf[s + 4] == 68
            and (buf[s + 5] == 77 or buf[s + 5] == 79)
        )
        # ---- $PGHP,1,yyyy,MM,dd,hh,mm,ss,ms,mid,region,source,online,chk*hh (DMA/Gatehouse)
        if not is_vd and c0 == 36 and e - s >= 6 and buf[s + 1] == 80 and buf[s + 2] == 71 and buf[s + 3] == 72 and buf[s + 4] == 80:
            # one pass: checksum and the numeric fields 2..8, field 11 is the station
            x = 0
            yy = mo = dd = hh = mi = ss = ms = -1
            sstart = send = 0
            fld = 0
            v = 0
            digits = 0
            k = s + 1
            while k < e:
                c = buf[k]
                if c == 42:
                    break
                x ^= c
                if c == 44:
                    val = v if digits > 0 and digits <= 9 else -1
                    if fld == 2:
                        yy = val
                    elif fld == 3:
                        mo = val
                    elif fld == 4:
                        dd = val
                    elif fld == 5:
                        hh = val
                    elif fld == 6:
                        mi = val
                    elif fld == 7:
                        ss = val
                    elif fld == 8:
                        ms = val
                    elif fld == 11:
                        send = k
                    fld += 1
                    if fld == 11:
                        sstart = k + 1
                    v = 0
                    digits = 0
                elif 48 <= c <= 57:
                    v = v * 10 + (c - 48)
                    digits += 1
                else:
                    digits = 99  # not a number
                k += 1
            star = k
            if star + 2 >= e:
                status[li] = TRUNCATED
                li += 1
                continue
            h1 = _hex(buf[star + 1])
            h2 = _hex(buf[star + 2])
            if h1 < 0 or h2 < 0 or x != h1 * 16 + h2:
                status[li] = BAD_CHECKSUM if h1 >= 0 and h2 >= 0 else TRUNCATED
                li += 1
                continue
            if fld == 11:
                send = star
            if yy < 1970 or yy > 2200 or mo < 1 or mo > 12 or dd < 1 or dd > 31 or hh < 0 or hh > 23 or mi < 0 or mi > 59 or ss < 0 or ss > 60 or ms < 0 or ms > 999:
                status[li] = MALFORMED
                li += 1
                continue
            date_key = (yy * 100 + mo) * 100 + dd
            if date_key != last_date_key:  # consecutive lines share the date: skip the calendar maths
                last_date_key = date_key
                last_days = days_from_civil(yy, mo, dd)
            pending_ts = (last_days * 86400 + hh * 3600 + mi * 60 + ss) * 1000 + ms
            if tb_ts != NO_TS:
                pending_ts = tb_ts
            if send > sstart:
                pending_src = _fnv(buf, sstart, send)
                n_defs, n_seen = _record_station(seen, n_seen, def_hash, def_start, def_end, n_defs,
                                                 pending_src, sstart, send)
            elif tb_src != 0:
                pending_src = tb_src
            status[li] = TIMESTAMP_LINE
            li += 1
            continue

        if not is_vd:
            status[li] = NOT_AIS
            li += 1
            continue

        # ---- !ccVDM,count,num,seq,chan,payload,fill*hh[,trailing metadata] -------------
        t1 = buf[s + 1]
        t2 = buf[s + 2]
        # a sentence consumes the pending metadata whatever its fate
        p_ts = pending_ts
        p_src = pending_src
        pending_ts = NO_TS
        pending_src = np.uint64(0)
        if t1 > 127 or t2 > 127 or not talker_ok[t1, t2]:
            status[li] = UNKNOWN_TALKER
            li += 1
            continue
        # one pass to '*': checksum, the six commas, payload characters
        x = 0
        nf = 0
        c1 = c2 = c3 = c4 = c5 = c6 = -1
        badc = False
        k = s + 1
        while k < e:
            c = buf[k]
            if c == 42:
                break
            x ^= c
            if c == 44:
                nf += 1
                if nf == 1:
                    c1 = k
                elif nf == 2:
                    c2 = k
                elif nf == 3:
                    c3 = k
                elif nf == 4:
                    c4 = k
                elif nf == 5:
                    c5 = k
                elif nf == 6:
                    c6 = k
            elif nf == 5 and (c < 48 or c > 119 or (87 < c < 96)):
                badc = True
            k += 1
        star = k
        if star + 2 >= e:
            status[li] = TRUNCATED
            li += 1
            continue
        h1 = _hex(buf[star + 1])
        h2 = _hex(buf[star + 2])
        if h1 < 0 or h2 < 0:
            status[li] = MALFORMED
            li += 1
            continue
        if x != h1 * 16 + h2:
            status[li] = BAD_CHECKSUM
            li += 1
            continue
        if c1 != s + 6 or nf > 6:
            status[li] = MALFORMED
            li += 1
            continue
        if nf < 6:
            status[li] = TRUNCATED
            li += 1
            continue
        cnt = _uint(buf, c1 + 1, c2)
        num = _uint(buf, c2 + 1, c3)
        if cnt < 0 or num < 0:
            status[li] = MALFORMED
            li += 1
            continue
        if cnt < 1 or cnt > 9 or num < 1 or num > cnt:
            status[li] = IMPOSSIBLE_VALUE
            li += 1
            continue
        sq = -1
        if c4 > c3 + 1:
            sq = _uint(buf, c3 + 1, c4)
            if sq < 0 or sq > 99:
                status[li] = MALFORMED
                li += 1
                continue
        ch = 0
        if c5 == c4 + 2:
            ch = buf[c4 + 1]
        elif c5 > c4 + 2:
            status[li] = MALFORMED
            li += 1
            continue
        pa = c5 + 1
        pb = c6
        if pb <= pa:
            status[li] = EMPTY_PAYLOAD
            li += 1
            continue
        if badc:
            status[li] = BAD_PAYLOAD_CHAR
            li += 1
            continue
        fl = _uint(buf, c6 + 1, star)
        if fl < 0 or fl > 5:
            status[li] = BAD_FILL_BITS
            li += 1
            continue

        # trailing receiver metadata (e.g. libais ",b003669794,1272412827"): first 10-digit unix time
        tr_ts = NO_TS
        k = star + 3
        while k < e:
            if buf[k] == 44:
                g = k + 1
                while g < e and buf[g] != 44:
                    g += 1
                if g - (k + 1) == 10:
                    v = _uint(buf, k + 1, g)
                    if v > 0:
                        tr_ts = v * 1000
                        break
                k = g
            else:
                k += 1

        inherit = num > 1 and tb_ts == NO_TS and p_ts == NO_TS
        t = tb_ts
        if t == NO_TS:
            t = p_ts
        if t == NO_TS and inherit:
            t = frag_ts
        if t == NO_TS:
            t = tr_ts
        if t == NO_TS:
            t = fallback_ts
        if t == NO_TS:
            status[li] = NO_TIMESTAMP
            li += 1
            continue

        status[li] = ACCEPTED
        sv = tb_src if tb_src != 0 else p_src
        if sv == 0 and inherit:
            sv = frag_src
        if cnt == 1:
            q = n_msg
            n_msg += 1
            m_line[q] = li
            m_start[q] = pa
            m_end[q] = pb
            m_fill[q] = fl
            m_own[q] = buf[s + 5] == 79
            m_ts[q] = t
            m_src[q] = sv
        else:
            q = n_frag
            n_frag += 1
            fr_line[q] = li
            fr_start[q] = pa
            fr_end[q] = pb
            fr_fill[q] = fl
            fr_cnt[q] = cnt
            fr_num[q] = num
            fr_seq[q] = sq
            fr_chan[q] = ch
            fr_own[q] = buf[s + 5] == 79
            fr_ts[q] = t
            fr_src[q] = sv
            frag_ts = t
            frag_src = sv
        li += 1

    return (
        status, line_start, line_end, n_msg,
        (m_line, m_start, m_end, m_fill, m_own, m_ts, m_src, mtype, m_status, ints, texts, hashes),
        (fr_line[:n_frag], fr_start[:n_frag], fr_end[:n_frag], fr_fill[:n_frag], fr_cnt[:n_frag], fr_num[:n_frag],
         fr_seq[:n_frag], fr_chan[:n_frag], fr_own[:n_frag], fr_ts[:n_frag], fr_src[:n_frag]),
        def_hash[:n_defs], def_start[:n_defs], def_end[:n_defs], pending_ts, pending_src, frag_ts, frag_src,
    )


@nb.njit(cache=True, nogil=True, inline="always")
def _six8(buf, q: int, b: int) -> np.uint64:
    """Characters buf[q:q+8] as 48 bits, most significant first; characters at or past b count as 0."""
    acc = np.uint64(0)
    if q + 8 <= b:
        for r in range(8):
            acc = (acc << np.uint64(6)) | SIXBIT[buf[q + r]]
    else:
        for r in range(8):
            acc = (acc << np.uint64(6)) | (SIXBIT[buf[q + r]] if q + r < b else np.uint64(0))
    return acc


@nb.njit(cache=True, nogil=True, inline="always")
def _pack_hash(buf, a: int, b: int, fl: int, words) -> np.uint64:
    """Pack every character of buf[a:b] into 64-bit words (most significant bit first, zero padded)
    and return a hash of payload and fill bits computed from those words.

    32 characters fill exactly three words, so a block is four 48-bit groups stitched with fixed
    shifts: no test per character. Hashing the words costs one multiply per 64 bits, not per byte.
    """
    h = (FNV_OFFSET ^ np.uint64((b - a) * 8 + fl)) * FNV_PRIME
    wi = 0
    q = a
    while q < b:
        c0 = _six8(buf, q, b)
        c1 = _six8(buf, q + 8, b)
        c2 = _six8(buf, q + 16, b)
        c3 = _six8(buf, q + 24, b)
        w0 = (c0 << np.uint64(16)) | (c1 >> np.uint64(32))
        w1 = (c1 << np.uint64(32)) | (c2 >> np.uint64(16))
        w2 = (c2 << np.uint64(48)) | c3
        words[wi] = w0
        words[wi + 1] = w1
        words[wi + 2] = w2
        h = ((h ^ w0) * FNV_PRIME) ^ (w1 * MIX_PRIME)
        h = ((h ^ (h >> np.uint64(29))) ^ w2) * FNV_PRIME
        wi += 3
        q += 32
    words[wi] = 0  # a field read may touch the word after the last one
    h ^= h >> np.uint64(32)
    return h if h != 0 else np.uint64(1)


@nb.njit(cache=True, nogil=True, inline="always")
def _field(words, start: int) -> np.uint64:
    """64 bits of the packed payload from bit ``start`` (the field sits in the top bits)."""
    i0 = start >> 6
    off = np.uint64(start & 63)
    return (words[i0] << off) | ((words[i0 + 1] >> np.uint64(1)) >> (np.uint64(63) - off))


@nb.njit(cache=True, nogil=True)
def decode_payloads_into(buf, pstart, pend, fill, row0, mtype, status, ints, texts, hashes, i_col, i_start, i_shift,
                         i_mask, i_off, t_col, t_start, t_chars, t_off, required):
    """Decode payloads buf[pstart[k]:pend[k]] into rows row0 + k; the layout plan is layouts.DECODE_PLAN.

    Outputs: msg_type, layout status, ints [rows, N_INT_COLS] raw values (zeroed first: absent
    fields read as 0), texts [rows, TEXT_TOTAL] ASCII (zeroed only for layouts with text), dedup
    hash of payload+fill. Fields are read only when the payload holds every bit the layout needs,
    so a short payload is a BAD_PAYLOAD_LENGTH, never a value made of padding. (One loop body, no
    per-message helper: numba passed its twenty array arguments per call, doubling the cost.)
    """
    longest = 0
    for k in range(pstart.shape[0]):
        longest = max(longest, pend[k] - pstart[k])
    words = np.empty((longest + 31) // 32 * 3 + 2, np.uint64)  # packed payload, one spare word
    for k in range(pstart.shape[0]):
        a = pstart[k]
        b = pend[k]
        fl = fill[k]
        m = row0 + k
        hashes[m] = _pack_hash(buf, a, b, fl, words)
        for c in range(N_INT_COLS):
            ints[m, c] = 0
        status[m] = 0
        nbits = (b - a) * 6 - fl
        mt = np.int64(words[0] >> np.uint64(58))
        mtype[m] = mt
        if nbits < 38:
            status[m] = BAD_PAYLOAD_LENGTH
            continue
        key = mt
        if mt == 24 and ((words[0] >> np.uint64(24)) & np.uint64(3)) == 1:  # part number, bits 38-39
            key = KEY_24B
        if nbits < required[key]:
            status[m] = BAD_PAYLOAD_LENGTH
            continue
        for r in range(i_off[key], i_off[key + 1]):
            ints[m, i_col[r]] = (np.int64(_field(words, i_start[r])) >> i_shift[r]) & i_mask[r]
        if t_off[key + 1] > t_off[key]:
            for c in range(TEXT_TOTAL):
                texts[m, c] = 0
            for r in range(t_off[key], t_off[key + 1]):
                col = t_col[r]
                st = t_start[r]
                for q in range(t_chars[r]):
                    v = np.int64(_field(words, st + 6 * q) >> np.uint64(58))
                    texts[m, col + q] = v + 64 if v < 32 else v
