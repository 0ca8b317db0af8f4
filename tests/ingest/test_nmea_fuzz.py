"""Property-based tests: arbitrary bytes and mutated real sentences never crash the decoder.

The numba kernels do not check array bounds by default, so these properties also run in a
child process with NUMBA_BOUNDSCHECK=1, where any out-of-range read raises instead of
silently reading past a buffer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.nmea import NmeaDecoder
from seawarden.ingest.rejects import Reason

REAL = [  # real sentences from the shared corpora: tag blocks, $PGHP, multi-part, trailing metadata
    b"\\s:rORBCOMM104,q:u,c:1418172113,T:2014-12-10 00.41.53*55\\!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78",
    b"$PGHP,1,2013,11,12,12,0,0,869,219,,2190074,1,05*12",
    b"!BSVDM,2,1,1,B,53uRcl02<VQA<A5B22098U=@tj2222222222220N3`?5540Ht@4jhAiC,0*62",
    b"!BSVDM,2,2,1,B,`88888888888880,2*67",
    b"!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70,b003669794,1272412827",
    b"\\si:AISD*3F\\",
    b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
    b"!AIVDO,1,1,,,B>qc:003wk?8mP=18D3Q3wgTiT;T,0*13",
]


def check_invariants(chunks: list[bytes]) -> None:
    dec = NmeaDecoder(origin="fuzz", clock="receive", max_line=512)
    batches = [dec.feed(c, received_at=1_600_000_000.0) for c in chunks] + [dec.flush(received_at=1_600_000_000.0)]
    total = DecodedBatch.concat(batches)
    stats = total.stats
    # every row decoded is accounted for by an accepted line, and nothing is counted negative
    assert all(n >= 0 for n in stats.outcomes.values())
    assert total.positions.num_rows + total.static.num_rows + total.other.num_rows >= 0
    rows = total.n_rows
    accepted = stats.outcomes[Reason.ACCEPTED]
    type19 = total.positions.filter(total.positions["msg_type"].cast("int32").to_numpy() == 19).num_rows if rows else 0
    assert rows == accepted + type19  # type 19 yields a position and a static row from one message
    for table in (total.positions, total.static, total.other):
        table.validate(full=True)


mutation = st.tuples(st.sampled_from(REAL), st.integers(0, 200), st.binary(min_size=0, max_size=3), st.integers(0, 3))


def mutate(line: bytes, at: int, junk: bytes, mode: int) -> bytes:
    at %= len(line) + 1
    if mode == 0:
        return line[:at] + junk + line[at + len(junk):]  # overwrite
    if mode == 1:
        return line[:at] + junk + line[at:]  # insert
    if mode == 2:
        return line[:at] + line[at + 1 + len(junk):]  # delete
    return line[:at]  # truncate


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=300), max_size=6))
def test_arbitrary_bytes_never_crash(chunks: list[bytes]) -> None:
    check_invariants(chunks)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=12), st.integers(1, 64))
def test_mutated_real_sentences_never_crash(mutations, chunk: int) -> None:
    data = b"\n".join(mutate(*m) for m in mutations) + b"\n"
    check_invariants([data[i : i + chunk] for i in range(0, len(data), chunk)])


@pytest.mark.skipif(os.environ.get("SEAWARDEN_FUZZ_CHILD") == "1", reason="already the bounds-checked child")
def test_properties_hold_with_numba_bounds_checking(tmp_path: Path) -> None:
    """Re-run this module's properties in a child with bounds checks compiled in."""
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"),
               SEAWARDEN_FUZZ_CHILD="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
         "-k", "never_crash"],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
