"""NmeaDecoder.decode_chunks (stage 1 in a worker thread) gives exactly the batches of sequential feeds."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.nmea import NmeaDecoder
from seawarden.ingest.rejects import Quarantine, Reason
from seawarden.ingest.sources import NmeaFileSource

CLOCK = datetime(2021, 11, 1, tzinfo=timezone.utc)  # for corpora whose sentences carry no time
CORPORA = ("ais_nmea_dma", "ais_nmea_test_corpora")
GARBAGE = [
    b"",
    b"\xff\xfe binary \x00 noise",
    b"!AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0*27",  # checksum wrong (26 is right)
    b"!AIVDM,2,1,7,A,55NBsD02=Sh",  # truncated
    b"$PGHP,1,2013,11,12,10,00,00,000,219,,2190047,1,0E*",
    b"\\s:junk,c:notatime*00\\!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C",
    b"# a comment line",
    b"X" * 700,  # longer than max_line below: rejected while framing, maybe across chunks
]


def corpus_files(shared_data: Path) -> list[Path]:
    files = sorted(p for c in CORPORA for p in (shared_data / c).rglob("*") if p.is_file() and p.name != "SOURCE.md")
    assert len(files) >= 15, files
    return files


def read_bytes(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def with_garbage(data: bytes, every: int = 37) -> bytes:
    """The real lines with a garbage line after every `every`-th (cutting nothing real)."""
    lines = data.split(b"\n")
    out: list[bytes] = []
    for i, line in enumerate(lines):
        out.append(line)
        if i % every == every - 1:
            out.append(GARBAGE[(i // every) % len(GARBAGE)])
    return b"\n".join(out)


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[a : a + size] for a in range(0, len(data), size)]


def decode_both(data: bytes, size: int, tmp_path: Path, **kw) -> tuple[list, list, NmeaDecoder, NmeaDecoder]:
    chunks = chunked(data, size)
    with Quarantine(tmp_path / "seq.jsonl") as q1, Quarantine(tmp_path / "pipe.jsonl") as q2:
        seq = NmeaDecoder(origin="t", quarantine=q1, **kw)
        expected = [seq.feed(c) for c in chunks] + [seq.flush()]
        pipe = NmeaDecoder(origin="t", quarantine=q2, **kw)
        got = list(pipe.decode_chunks(iter(chunks)))
    return expected, got, seq, pipe


def assert_same_batches(expected: list[DecodedBatch], got: list[DecodedBatch]) -> None:
    assert len(got) == len(expected)
    for k, (e, g) in enumerate(zip(expected, got)):
        assert g.positions.equals(e.positions), k
        assert g.static.equals(e.static), k
        assert g.other.equals(e.other), k
        assert g.stats.as_dict() == e.stats.as_dict(), k


def assert_same_quarantine(tmp_path: Path) -> None:
    seq, pipe = tmp_path / "seq.jsonl", tmp_path / "pipe.jsonl"
    assert seq.exists() == pipe.exists()
    if seq.exists():
        assert pipe.read_bytes() == seq.read_bytes()


@pytest.mark.parametrize("size", [509, 4093])
def test_every_real_corpus_identical_to_sequential_feeds(shared_data: Path, tmp_path: Path, size: int) -> None:
    """Small chunks cut multi-part messages, $PGHP lines and tag blocks at every place; nothing may change."""
    for path in corpus_files(shared_data):
        data = read_bytes(path)
        if size < 1000 and len(data) > 500_000:
            data = data[:500_000]  # the big files at the smaller size: a prefix is plenty of boundaries
        out = tmp_path / path.name
        expected, got, seq, pipe = decode_both(data, size, out, clock=CLOCK)
        assert sum(b.n_rows for b in expected) > 0, path
        assert_same_batches(expected, got)
        assert_same_quarantine(out)
        assert pipe.timestamped_sentences == seq.timestamped_sentences


def test_garbage_and_overlong_lines_quarantined_identically(shared_data: Path, tmp_path: Path) -> None:
    data = with_garbage(read_bytes(shared_data / "ais_nmea_dma" / "aislib_stream_example_2010-06-11.txt"))
    expected, got, _, _ = decode_both(data, 611, tmp_path, clock=CLOCK, max_line=512)
    assert_same_batches(expected, got)
    assert_same_quarantine(tmp_path)
    rejected = DecodedBatch.concat(got).stats.outcomes
    for reason in (Reason.BAD_CHECKSUM, Reason.LINE_TOO_LONG, Reason.TRUNCATED, Reason.BAD_TAG_BLOCK):
        assert rejected[reason] > 0, reason
    assert (tmp_path / "pipe.jsonl").read_text().count("line_too_long") == rejected[Reason.LINE_TOO_LONG]


def sentence(body: str) -> bytes:
    check = 0
    for ch in body.encode():
        check ^= ch
    return f"!{body}*{check:02X}".encode()


def test_unterminated_tail_and_orphans_come_out_in_the_flush_batch(tmp_path: Path) -> None:
    part1 = sentence("AIVDM,2,1,3,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0") + b"\n"
    tail = sentence("AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0")  # no newline: only flush decodes it
    expected, got, _, _ = decode_both(part1 + tail, 7, tmp_path, clock=CLOCK)
    assert_same_batches(expected, got)
    assert_same_quarantine(tmp_path)
    assert got[-1].stats.outcomes[Reason.ORPHAN_FRAGMENT] == 1
    assert got[-1].positions.num_rows == 1


def test_without_flush_the_state_carries_to_later_feeds(shared_data: Path) -> None:
    data = read_bytes(shared_data / "ais_nmea_dma" / "aislib_stream_example_2010-06-11.txt")
    half = len(data) // 2 + 13  # mid-line
    seq, pipe = NmeaDecoder(origin="t"), NmeaDecoder(origin="t")
    expected = [seq.feed(c) for c in chunked(data[:half], 997)] + [seq.feed(data[half:]), seq.flush()]
    got = list(pipe.decode_chunks(chunked(data[:half], 997), flush=False)) + [pipe.feed(data[half:]), pipe.flush()]
    assert_same_batches(expected, got)


def scan_workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "seawarden-nmea-scan"]


def test_closing_early_stops_the_worker(shared_data: Path) -> None:
    data = read_bytes(shared_data / "ais_nmea_dma" / "aisabnormal_ais-sample_2013-11-12.txt.gz")
    taken: list[int] = []

    def chunks() -> Iterator[bytes]:
        for k, c in enumerate(chunked(data, 8192)):
            taken.append(k)
            yield c

    gen = NmeaDecoder(origin="t").decode_chunks(chunks())
    first = [next(gen), next(gen)]
    assert all(b.n_rows for b in first)
    gen.close()
    assert not scan_workers()
    assert len(taken) <= 5  # at most a couple of chunks ahead, never the whole file


def test_exceptions_arrive_in_order_after_the_batches_before_them(shared_data: Path) -> None:
    data = read_bytes(shared_data / "ais_nmea_dma" / "aislib_stream_example_2010-06-11.txt")
    good = chunked(data, 4096)[:5]

    def failing_read() -> Iterator[bytes]:
        yield from good
        raise OSError("disk went away")

    seq = NmeaDecoder(origin="t")
    expected = [seq.feed(c) for c in good]
    gen = NmeaDecoder(origin="t").decode_chunks(failing_read())
    got = [next(gen) for _ in good]
    assert_same_batches(expected, got)
    with pytest.raises(OSError, match="disk went away"):
        next(gen)
    assert not scan_workers()

    # an error inside stage 1 itself (the scanner meets something that is not bytes)
    gen = NmeaDecoder(origin="t").decode_chunks([good[0], 12345, good[1]])  # type: ignore[list-item]
    assert next(gen).n_rows > 0
    with pytest.raises(TypeError):
        next(gen)
    assert not scan_workers()


def test_file_source_pipelined_equals_sequential_decoder(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "ais_nmea_dma" / "aisabnormal_ais-sample_2013-11-12.txt.gz"
    seen: list[tuple[int, int]] = []
    with Quarantine(tmp_path / "pipe.jsonl") as q:
        got = list(NmeaFileSource(path, quarantine=q, chunk_bytes=65_521, progress=lambda d, t: seen.append((d, t)))
                   .batches())
    with Quarantine(tmp_path / "seq.jsonl") as q:
        seq = NmeaDecoder(origin=str(path), quarantine=q)
        expected = [seq.feed(c) for c in chunked(read_bytes(path), 65_521)] + [seq.flush()]
    assert_same_batches(expected, got)
    assert_same_quarantine(tmp_path)
    size = path.stat().st_size
    offsets = [d for d, _ in seen]
    assert len(seen) == len(expected) and offsets == sorted(offsets) and seen[-1] == (size, size)


MIX = GARBAGE + [
    b"!BSVDM,2,1,1,B,53uRcl02<VQA<A5B22098U=@tj2222222222220N3`?5540Ht@4jhAiC,0*62",
    b"!BSVDM,2,2,1,B,`88888888888880,2*67",
    b"$PGHP,1,2013,11,12,12,0,0,869,219,,2190074,1,05*12",
    b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(MIX), st.integers(0, 80)), min_size=1, max_size=30),
       st.lists(st.integers(1, 200), min_size=1, max_size=8))
def test_any_mix_any_cuts_identical_to_sequential(lines, cuts) -> None:
    """Garbage, multi-part halves and $PGHP lines in any order, cut anywhere, with or without newlines."""
    data = b"".join(line[:keep] if keep < 10 else line + b"\n" for line, keep in lines)
    chunks, a, k = [], 0, 0
    while a < len(data):
        chunks.append(data[a : a + cuts[k % len(cuts)]])
        a += cuts[k % len(cuts)]
        k += 1
    seq, pipe = NmeaDecoder(origin="t", clock=CLOCK, max_line=128), NmeaDecoder(origin="t", clock=CLOCK, max_line=128)
    expected = [seq.feed(c) for c in chunks] + [seq.flush()]
    assert_same_batches(expected, list(pipe.decode_chunks(chunks)))
