"""Real-data inputs shared by the benchmarks (generated from ../shared/data, never copied)."""

from __future__ import annotations

import gzip
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

SHARED = Path(os.environ.get("SEAWARDEN_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
NMEA = SHARED / "ais_nmea_dma" / "aisabnormal_ais-sample_2013-11-12.txt.gz"
PERIOD_S = 300  # the sample spans 5 minutes


def _checksum(body: str) -> str:
    c = 0
    for ch in body:
        c ^= ord(ch)
    return f"{c:02X}"


def replicated_nmea(min_messages: int) -> tuple[bytes, int]:
    """The real sample repeated with shifted $PGHP times until >= min_messages sentences."""
    lines = gzip.open(NMEA, "rt", encoding="ascii", errors="replace").read().splitlines()
    n_msgs = sum(1 for ln in lines if ln.startswith("!"))
    reps = -(-min_messages // n_msgs)
    pghp = []
    for i, ln in enumerate(lines):
        if ln.startswith("$PGHP,1,"):
            f = ln[1:ln.index("*")].split(",")
            t = datetime(int(f[2]), int(f[3]), int(f[4]), int(f[5]), int(f[6]), int(f[7]), int(f[8]) * 1000,
                         tzinfo=timezone.utc)
            pghp.append((i, t, f))
    out = []
    for k in range(reps):
        cur = list(lines)
        for i, t, f in pghp:
            u = t + timedelta(seconds=k * PERIOD_S)
            g = f[:2] + [str(u.year), str(u.month), str(u.day), str(u.hour), str(u.minute), str(u.second),
                         str(u.microsecond // 1000)] + f[9:]
            body = ",".join(g)
            cur[i] = f"${body}*{_checksum(body)}"
        out.append("\n".join(cur))
    return ("\n".join(out) + "\n").encode("ascii"), n_msgs * reps
