"""prefetched(): order kept, errors surface in order, early close stops the worker; and the
detection chain gives the same events with decoding overlapped."""

from __future__ import annotations

import threading

import pytest

from seawarden.detect.pipeline import prefetched

from .scenarios import asset_index


def test_items_arrive_in_order_from_a_worker_thread() -> None:
    seen_threads = set()

    def produce():
        for i in range(200):
            seen_threads.add(threading.current_thread().name)
            yield i

    assert list(prefetched(produce(), depth=3)) == list(range(200))
    assert seen_threads == {"seawarden-prefetch"}


def test_producer_error_is_raised_after_the_items_before_it() -> None:
    def produce():
        yield 1
        yield 2
        raise ValueError("bad chunk 3 in feed.nmea")

    got = []
    with pytest.raises(ValueError, match="bad chunk 3"):
        for x in prefetched(produce()):
            got.append(x)
    assert got == [1, 2]


def test_early_close_stops_the_worker() -> None:
    produced = []

    def produce():
        for i in range(10_000):
            produced.append(i)
            yield i

    gen = prefetched(produce(), depth=1)
    assert next(gen) == 0
    gen.close()
    assert len(produced) <= 3
    assert not any(t.name == "seawarden-prefetch" for t in threading.enumerate())


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        list(prefetched([1], depth=0))


def test_overlapped_decoding_gives_the_same_events(shared_data) -> None:
    """Real DMA NMEA through decode -> detect, one thread vs decoding overlapped in a worker."""
    import gzip

    import shapely

    from seawarden.detect import DetectionEngine
    from seawarden.ingest.nmea.decoder import NmeaDecoder

    raw = gzip.open(shared_data / "ais_nmea_dma" / "aisabnormal_ais-sample_2013-11-12.txt.gz").read()
    # the sample spans five minutes: two north-south lines across Kattegat lanes that ships sail over within them
    # (MMSI 219601000 eastbound at 11.03 E, 219017081 westbound at 10.66 E), so crossings carry asset ids
    index = asset_index({"KE": shapely.LineString([(11.03, 55.97), (11.03, 56.05)]),
                         "KW": shapely.LineString([(10.656, 56.0), (10.656, 56.09)])}, corridor_m=2000.0)
    step = 200_000

    def run(overlap: bool) -> list[str]:
        dec, eng = NmeaDecoder(origin="test"), DetectionEngine(index=index)
        batches = (dec.feed(raw[a:a + step]) if a < len(raw) else dec.flush() for a in range(0, len(raw) + step, step))
        out = []
        for b in prefetched(batches) if overlap else batches:
            out += [e.to_json() for e in eng.process(b)]
        return out + [e.to_json() for e in eng.flush()]

    one = run(False)
    assert len(one) >= 10 and any('"asset_id":"' in e for e in one)
    assert run(True) == one
