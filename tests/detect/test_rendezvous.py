"""rendezvous on the real NY harbour week: moored neighbours in a marina are no encounter; the
eval's meeting at sea is one event naming both vessels."""

from __future__ import annotations

import pytest

from seawarden.detect import DetectConfig, DetectionEngine
from seawarden.detect.eval.real_data import load_ny_harbour_week

# two craft 6 m apart at 0.03 kn for 40 min in a Jamaica Bay marina, 16 km from the nearest WPI port
MARINA_PAIR = {367638140, 367638930}


@pytest.fixture(scope="module")
def week_dec4(shared_data):
    return load_ny_harbour_week(shared_data, "2020-12-04T06:00:00", "2020-12-04T18:00:00")


def _pairs(positions, **params):
    cfg = DetectConfig.from_dict({"detectors": {"rendezvous": params}} if params else None)
    e = DetectionEngine(cfg, None, detectors=["rendezvous"])
    return [{x.mmsi, x.related_mmsi} for x in e.process(positions) + e.flush() if x.status == "open"]


def test_moored_pair_in_a_marina_is_no_encounter(week_dec4):
    pytest.importorskip("global_land_mask")
    assert MARINA_PAIR in _pairs(week_dec4, inland_water_check=False)  # the rule is what removes it
    assert _pairs(week_dec4) == []


def test_meeting_at_sea_is_one_event_naming_both(shared_data):
    from seawarden.detect.eval.scenarios import DEFAULT_SEED, ny_rendezvous

    built = ny_rendezvous(shared_data, DEFAULT_SEED)
    assert _pairs(built.positions) == [{int(m) for m in built.params["vessels"]}]


def test_boats_moored_together_in_a_small_harbour_are_no_encounter(shared_data):
    """Gilleleje's fishing harbour (56.127 N, 12.309 E) is 17 km from the nearest World Port Index port, so
    the port rule does not cover it. Its real moored boats from the DMA sample (5 min), held at their real
    positions for 2 h (moored: the fixes repeat every 5 min), pair up by the dozen without the group rule."""
    import gzip

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from seawarden.ingest.nmea.decoder import NmeaDecoder

    dec = NmeaDecoder(origin="test")
    raw = gzip.open(shared_data / "ais_nmea_dma" / "aisabnormal_ais-sample_2013-11-12.txt.gz").read()
    pos = pa.concat_tables([dec.feed(raw).positions, dec.flush().positions])
    lat, lon = pos["lat"].fill_null(0).to_numpy(), pos["lon"].fill_null(0).to_numpy()
    harbour = pos.filter(pa.array((np.abs(lat - 56.127) < 0.003) & (np.abs(lon - 12.309) < 0.005)))
    harbour = harbour.filter(pc.less_equal(harbour["sog"].fill_null(0), 0.5))
    assert pc.count_distinct(harbour["mmsi"]).as_py() >= 8
    ts = harbour["ts"].cast(pa.int64()).to_numpy()
    reps = [harbour.set_column(1, "ts", pa.array(ts + k * 300_000).cast(harbour.schema.field("ts").type))
            for k in range(24)]
    held = pa.concat_tables(reps)
    held = held.take(pc.sort_indices(held, [("ts", "ascending")]))
    assert len(_pairs(held, max_group_size=1000)) >= 10  # what the group rule removes
    assert _pairs(held) == []
