"""NMEA framing, time, sources, de-duplication, reassembly and rejections on real sentences."""

from __future__ import annotations

import gzip
import random
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.nmea import NmeaDecoder
from seawarden.ingest.rejects import Quarantine, Reason

DMA_2013 = "ais_nmea_dma/aisabnormal_ais-sample_2013-11-12.txt.gz"
DMA_2010 = "ais_nmea_dma/aislib_stream_example_2010-06-11.txt"
POS = b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"  # MMSI 227006760, from pyais' real sample
CLOCK = datetime(2021, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def decode_all(data: bytes, chunk: int | None = None, **kw) -> DecodedBatch:
    dec = NmeaDecoder(origin="test", **kw)
    if chunk is None:
        parts = [dec.feed(data)]
    else:
        parts = [dec.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)]
    return DecodedBatch.concat([*parts, dec.flush()])


def with_checksum(body: bytes, lead: bytes = b"!") -> bytes:
    x = 0
    for c in body:
        x ^= c
    return lead + body + b"*%02X" % x


def tag_block(fields: bytes) -> bytes:
    return b"\\" + with_checksum(fields, b"")[:] + b"\\"


@pytest.fixture(scope="module")
def dma2013(shared_data: Path) -> bytes:
    return gzip.open(shared_data / DMA_2013).read()


@pytest.mark.parametrize("name, positions", [(DMA_2013, "aisabnormal_2013-11-12_positions"), (DMA_2010, "aislib_2010-06-11_positions")])
def test_dma_positions_match_derived_tables_with_pghp_time_and_station(shared_data: Path, name: str, positions: str) -> None:
    """Row for row against the independently decoded DMA tables: time from $PGHP, station id as source."""
    path = shared_data / name
    data = gzip.open(path).read() if name.endswith(".gz") else path.read_bytes()
    ours = decode_all(data, dedup_window_s=None).positions
    ref = pq.read_table(shared_data / "ais_dma_decoded" / f"{positions}.parquet")
    ref = ref.filter(pc.not_equal(ref["mmsi"], 0))  # MMSI 0 is rejected by design (impossible value)
    assert ours.num_rows == ref.num_rows
    ref_ts = ref["rx_time_utc"].cast(pa.timestamp("ms")).cast(pa.int64()).to_numpy()
    our_ts = ours["ts"].cast(pa.int64()).to_numpy()
    order_r = np.lexsort((ref["mmsi"].to_numpy(), ref_ts))
    order_o = np.lexsort((ours["mmsi"].to_numpy(), our_ts))
    np.testing.assert_array_equal(our_ts[order_o], ref_ts[order_r])
    np.testing.assert_array_equal(ours["mmsi"].to_numpy()[order_o], ref["mmsi"].to_numpy()[order_r])
    src_ref = np.asarray(ref["pghp_source_id"].to_pylist(), dtype=object)[order_r]
    src_ours = np.asarray(ours["source"].to_pylist(), dtype=object)[order_o]
    has_id = src_ref != ""
    assert has_id.mean() > 0.5
    np.testing.assert_array_equal(src_ours[has_id], src_ref[has_id])


def test_dma_2013_decodes_without_a_single_rejection(dma2013: bytes) -> None:
    batch = decode_all(dma2013)
    stats = batch.stats.as_dict()
    assert stats["rejected"] == {}
    assert stats["lines"] == 80246
    assert stats["ignored"]["not_ais"] == 973  # Gatehouse $PSTT status lines
    assert stats["messages_by_type"]["5"] == 69  # every two-part static message reassembled
    assert batch.static.filter(pc.equal(batch.static["msg_type"], 5)).num_rows == 69
    # one outcome per line, always
    assert sum(batch.stats.outcomes.values()) == stats["lines"]


@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_any_chunking_gives_the_same_tables(dma2013: bytes, chunk: int) -> None:
    data = dma2013[: 5_000 if chunk == 1 else 60_000] if chunk < 100 else dma2013
    whole = decode_all(data)
    pieces = decode_all(data, chunk=chunk)
    for name in ("positions", "static", "other"):
        a, b = getattr(whole, name), getattr(pieces, name)
        assert a.num_rows == b.num_rows
        key = ["ts", "mmsi", "msg_type"]
        assert a.sort_by([(k, "ascending") for k in key]).equals(b.sort_by([(k, "ascending") for k in key]))
    assert whole.stats.outcomes == pieces.stats.outcomes


def test_same_report_from_two_stations_is_one_row_with_both_receptions() -> None:
    pghp = lambda ms, station: with_checksum(b"PGHP,1,2013,11,12,12,0,0,%d,219,,%s,1,23" % (ms, station), b"$")  # noqa: E731
    data = b"\n".join([pghp(100, b"2190067"), POS, pghp(900, b"2190074"), POS, b""])
    batch = decode_all(data)
    assert batch.positions.num_rows == 1
    row = batch.positions.to_pylist()[0]
    assert row["n_rx"] == 2 and row["source"] == "2190067"
    assert row["ts"] == datetime(2013, 11, 12, 12, 0, 0, 100_000, tzinfo=timezone.utc)
    assert batch.stats.receptions_collapsed == 1


def test_a_repeat_outside_the_window_is_a_new_report_and_across_chunks_a_duplicate_is_dropped() -> None:
    tb = lambda t: tag_block(b"c:%d,s:r1" % t)  # noqa: E731
    far = decode_all(tb(1_600_000_000) + POS + b"\n" + tb(1_600_000_060) + POS + b"\n")
    assert far.positions.num_rows == 2
    dec = NmeaDecoder(origin="t")
    first = dec.feed(tb(1_600_000_000) + POS + b"\n")
    second = dec.feed(tb(1_600_000_002) + POS + b"\n")
    assert first.positions.num_rows == 1 and second.positions.num_rows == 0
    assert second.stats.outcomes[Reason.DUPLICATE] == 1


def test_time_and_source_from_tag_block_and_trailing_metadata() -> None:
    line = tag_block(b"s:rORBCOMM104,c:1418172113") + b"!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78"
    row = decode_all(line + b"\n").positions.to_pylist()[0]
    assert row["ts"] == datetime.fromtimestamp(1418172113, timezone.utc) and row["source"] == "rORBCOMM104"
    trailing = b"!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70,b003669794,1272412827"
    row = decode_all(trailing + b"\n").positions.to_pylist()[0]
    assert row["ts"] == datetime.fromtimestamp(1272412827, timezone.utc)
    ms = tag_block(b"c:1418172113123") + POS
    assert decode_all(ms + b"\n").positions["ts"][0].as_py() == datetime(2014, 12, 10, 0, 41, 53, 123000, tzinfo=timezone.utc)


def test_no_timestamp_is_rejected_unless_a_clock_is_given() -> None:
    strict = decode_all(POS + b"\n")
    assert strict.positions.num_rows == 0 and strict.stats.outcomes[Reason.NO_TIMESTAMP] == 1
    fixed = decode_all(POS + b"\n", clock=CLOCK)
    assert fixed.positions["ts"][0].as_py() == CLOCK
    live = NmeaDecoder(origin="feed", clock="receive").feed(POS + b"\n", received_at=1_700_000_000.25)
    assert live.positions["ts"][0].as_py() == datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=timezone.utc)


def test_not_available_values_are_nulls_not_numbers() -> None:
    # pyais' sample: heading 511, rot -128 ("no turn information")
    row = decode_all(POS + b"\n", clock=CLOCK).positions.to_pylist()[0]
    assert row["heading"] is None and row["rot"] is None
    assert row["mmsi"] == 227006760 and row["lat"] == pytest.approx(49.475577, abs=1e-6)
    # a Class B report with lat 91 / lon 181, sog 102.3, cog 360 (encoded with pyais, the oracle)
    from pyais.encode import encode_dict

    sentence = encode_dict({"type": 18, "mmsi": 211000001, "lat": 91, "lon": 181, "speed": 102.3, "course": 360, "heading": 511, "second": 60})[0]
    row = decode_all(sentence.encode() + b"\n", clock=CLOCK).positions.to_pylist()[0]
    assert [row[k] for k in ("lat", "lon", "sog", "cog", "heading", "second", "nav_status", "rot")] == [None] * 8


def test_multipart_reassembly_orphans_and_interleaving(shared_data: Path) -> None:
    part1 = b"!BSVDM,2,1,1,B,53uRcl02<VQA<A5B22098U=@tj2222222222220N3`?5540Ht@4jhAiC,0*62"
    part2 = b"!BSVDM,2,2,1,B,`88888888888880,2*67"
    other_seq5 = with_checksum(b"AIVDM,2,1,5,A,53cMa3@000010WSW?V105=<45B2222222222220t388151:9e2UiDm851DTh,0")
    data = b"\n".join([part1, other_seq5, part2, b""])  # real parts (DMA 2013), another message between them
    batch = decode_all(data, clock=CLOCK)
    from pyais import decode

    assert batch.static.num_rows == 1
    assert batch.static["mmsi"][0].as_py() == decode(part1, part2).mmsi
    assert batch.stats.outcomes[Reason.ORPHAN_FRAGMENT] == 1  # seq 5 never completed (reported at end of stream)
    # a lone second part is an orphan too, and a part 3 of 2 is impossible
    lone = decode_all(part2 + b"\n", clock=CLOCK)
    assert lone.stats.outcomes[Reason.ORPHAN_FRAGMENT] == 1 and lone.n_rows == 0
    bad = decode_all(with_checksum(b"AIVDM,2,3,1,B,`88888888888880,2") + b"\n", clock=CLOCK)
    assert bad.stats.outcomes[Reason.IMPOSSIBLE_VALUE] == 1


def test_fragments_time_out(shared_data: Path) -> None:
    part1 = b"!BSVDM,2,1,1,B,53uRcl02<VQA<A5B22098U=@tj2222222222220N3`?5540Ht@4jhAiC,0*62"
    dec = NmeaDecoder(origin="t", fragment_timeout_s=5)
    first = dec.feed(tag_block(b"c:1600000000") + part1 + b"\n")
    other = with_checksum(b"AIVDM,2,1,3,A,53cMa3@000010WSW?V105=<45B2222222222220t388151:9e2UiDm851DTh,0")
    later = dec.feed(tag_block(b"c:1600000100") + other + b"\n")
    assert first.stats.outcomes[Reason.ORPHAN_FRAGMENT] == 0
    assert later.stats.outcomes[Reason.ORPHAN_FRAGMENT] == 1


@pytest.mark.parametrize(
    "line, reason",
    [
        (POS[:-2] + b"24", Reason.BAD_CHECKSUM),
        (POS[:-3], Reason.TRUNCATED),
        (b"!AIVDM,1,1,,A,13HOI:0P0000VOHLC", Reason.TRUNCATED),
        (with_checksum(b"AIVDM,1,1,,A,13HOI,0"), Reason.BAD_PAYLOAD_LENGTH),
        (with_checksum(b"XXVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0"), Reason.UNKNOWN_TALKER),
        (with_checksum(b"AIVDM,1,1,,A,13HOI:0P0000VOHL nHQKwvL05Ip,0"), Reason.BAD_PAYLOAD_CHAR),
        (with_checksum(b"AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,7"), Reason.BAD_FILL_BITS),
        (with_checksum(b"AIVDM,x,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0"), Reason.MALFORMED),
        (with_checksum(b"AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0,extra"), Reason.MALFORMED),
        (with_checksum(b"AIVDM,1,1,,A,,0"), Reason.EMPTY_PAYLOAD),
        (b"\\c:1600000000*00\\" + POS, Reason.BAD_TAG_BLOCK),
        (b"!AIVDM," + b"1" * 5000, Reason.LINE_TOO_LONG),
        (with_checksum(b"PGHP,1,2013,13,12,12,0,0,11,219,,2190067,1,62", b"$"), Reason.MALFORMED),
    ],
)
def test_each_bad_line_is_counted_by_reason_and_quarantined(tmp_path: Path, line: bytes, reason: Reason) -> None:
    qfile = tmp_path / "q.jsonl"
    with Quarantine(qfile) as q:
        batch = decode_all(line + b"\n" + POS + b"\n", clock=CLOCK, quarantine=q)
    assert batch.stats.outcomes[reason] == 1
    assert batch.positions.num_rows == 1  # the good line next to it survives
    text = qfile.read_text()
    assert f'"reason": "{reason.label}"' in text


def test_unterminated_garbage_never_grows_memory_and_is_counted() -> None:
    dec = NmeaDecoder(origin="t", clock=CLOCK, max_line=1000)
    total = DecodedBatch.concat([dec.feed(bytes(random.Random(1).randrange(11, 256) for _ in range(3000))) for _ in range(3)])
    assert len(dec._carry) <= 1000
    assert total.stats.outcomes[Reason.LINE_TOO_LONG] == 1
    after = dec.feed(b"\n" + POS + b"\n")
    assert after.positions.num_rows == 1


def test_fragment_timeout_holds_when_times_go_backwards() -> None:
    """Only fragments older than the timeout are orphaned, even when a late-arriving one is older than the rest."""
    part1 = b"!BSVDM,2,1,1,B,53uRcl02<VQA<A5B22098U=@tj2222222222220N3`?5540Ht@4jhAiC,0*62"
    part2 = b"!BSVDM,2,2,1,B,`88888888888880,2*67"
    seq5 = with_checksum(b"AIVDM,2,1,5,A,53cMa3@000010WSW?V105=<45B2222222222220t388151:9e2UiDm851DTh,0")
    seq7 = with_checksum(b"AIVDM,2,1,7,A,53cMa3@000010WSW?V105=<45B2222222222220t388151:9e2UiDm851DTh,0")
    dec = NmeaDecoder(origin="t", fragment_timeout_s=5)
    batches = [
        dec.feed(tag_block(b"c:1600000100") + part1 + b"\n"),
        dec.feed(tag_block(b"c:1600000050") + seq5 + b"\n"),  # arrives late, already older than the timeout
        dec.feed(tag_block(b"c:1600000102") + seq7 + b"\n"),  # 52 s after seq 5, 2 s after part 1
        dec.feed(tag_block(b"c:1600000103") + part2 + b"\n"),
    ]
    assert [b.stats.outcomes[Reason.ORPHAN_FRAGMENT] for b in batches] == [0, 0, 1, 0]
    assert batches[3].static.num_rows == 1  # part 1 was kept and completes
    assert dec.flush().stats.outcomes[Reason.ORPHAN_FRAGMENT] == 1  # seq 7


def test_message_rows_hold_only_their_own_fields_across_chunks(dma2013: bytes) -> None:
    """Message buffers are allocated uninitialised: a type 24A after a chunk full of type 5 has no leftovers."""
    from pyais import decode

    type5 = [ln for ln in dma2013.splitlines() if ln.startswith(b"!") and b",2,1," in ln][:1]
    part24a = with_checksum(b"AIVDM,1,1,,A,H42O55i18tMET00000000000000,2")
    assert decode(part24a).partno == 0
    dec = NmeaDecoder(origin="t", clock=CLOCK, dedup_window_s=None)
    dec.feed(b"\n".join(dma2013.splitlines()[:3000]) + b"\n")  # many multi-part type 5 rows in the buffers
    row = dec.feed((part24a + b"\n") * 50 + POS + b"\n").static.slice(0, 1).to_pylist()[0]
    assert type5 and row["msg_type"] == 24 and row["part"] == 0 and row["name"] == decode(part24a).shipname
    assert all(row[k] is None for k in ("imo", "callsign", "ship_type", "to_bow", "to_stern", "to_port",
                                         "to_starboard", "draught", "destination", "eta"))


@pytest.mark.parametrize("talker", [b"B2", b"--", b"BS", b"AB"])
def test_talkers_real_networks_send_are_accepted(talker: bytes) -> None:
    """B2 is the Norwegian Coastal Administration's open stream; "--" appears in DMA's 2010 sample."""
    line = with_checksum(talker + b"VDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0")
    batch = decode_all(line + b"\n", clock=CLOCK)
    assert batch.positions.num_rows == 1
    assert batch.stats.outcomes[Reason.UNKNOWN_TALKER] == 0


def test_talker_choice_is_validated_and_narrows_what_is_accepted() -> None:
    with pytest.raises(ValueError, match="talker id"):
        NmeaDecoder(origin="t", clock=CLOCK, talkers=("ai",))
    line = with_checksum(b"B2VDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0")
    batch = decode_all(line + b"\n" + POS + b"\n", clock=CLOCK, talkers=("AI",))
    assert batch.stats.outcomes[Reason.UNKNOWN_TALKER] == 1
    assert batch.positions.num_rows == 1


def test_a_tag_block_repeated_verbatim_says_the_same_and_a_changed_one_is_read_afresh() -> None:
    """The scanner reuses the last tag block's meaning when the bytes repeat; any change is parsed again,
    including one that only breaks the checksum or names another station in a block of the same length."""
    other = b"!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78"
    same = tag_block(b"s:r1,c:1600000000")
    changed = tag_block(b"s:r2,c:1600000000")  # same length, other station
    bad = same[:-3] + (b"00\\" if not same.endswith(b"00\\") else b"11\\")  # same bytes but the checksum
    lines = [same, POS, same, other, changed, POS, bad, other, same + other, b""]
    batch = decode_all(b"\n".join(lines), dedup_window_s=None)
    sources = batch.positions["source"].to_pylist()
    assert sources == ["r1", "r1", "r2", "r1"]
    assert batch.stats.outcomes[Reason.BAD_TAG_BLOCK] == 1
    assert set(batch.positions["ts"].cast(pa.int64()).to_pylist()) == {1_600_000_000_000}
    # after the bad block the sentence has no time of its own: it is rejected, not given the last block's
    assert batch.stats.outcomes[Reason.NO_TIMESTAMP] == 1


def test_back_to_back_parts_join_only_within_the_timeout_and_beside_pending_ones() -> None:
    """Parts 1 and 2 on consecutive lines are joined at once; the same rules as for any fragment hold:
    too far apart in time they are two orphans, and a fragment left pending elsewhere stays pending."""
    part1 = b"!BSVDM,2,1,1,B,53uRcl02<VQA<A5B22098U=@tj2222222222220N3`?5540Ht@4jhAiC,0*62"
    part2 = b"!BSVDM,2,2,1,B,`88888888888880,2*67"
    seq5 = with_checksum(b"AIVDM,2,1,5,A,53cMa3@000010WSW?V105=<45B2222222222220t388151:9e2UiDm851DTh,0")
    tb = lambda t: tag_block(b"c:%d" % t)  # noqa: E731
    late = decode_all(tb(1_600_000_000) + part1 + b"\n" + tb(1_600_000_031) + part2 + b"\n")
    assert late.static.num_rows == 0 and late.stats.outcomes[Reason.ORPHAN_FRAGMENT] == 2
    dec = NmeaDecoder(origin="t")
    first = dec.feed(tb(1_600_000_000) + seq5 + b"\n")
    both = dec.feed(tb(1_600_000_001) + part1 + b"\n" + tb(1_600_000_002) + part2 + b"\n")
    assert both.static.num_rows == 1 and both.static["ts"][0].as_py().timestamp() == 1_600_000_001
    assert first.stats.outcomes[Reason.ORPHAN_FRAGMENT] == both.stats.outcomes[Reason.ORPHAN_FRAGMENT] == 0
    assert dec.flush().stats.outcomes[Reason.ORPHAN_FRAGMENT] == 1  # seq 5, still pending until the end
