"""Risk: the breakdown sums to the total, points decay with age, profile facts, watchlist fuzzy names."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from seawarden.alert import AlertPipeline, AlertSettings
from seawarden.alert.profile import FlagList, imo_check_valid
from seawarden.alert.risk import DAY_MS, RiskScorer
from seawarden.alert.watchlist import Watchlist, WatchlistError, normalise_name
from seawarden.store import STATIC_LATEST
from seawarden.store.alerts_duckdb import DuckDBAlertStore


def static_latest(rows: list[dict]) -> pa.Table:
    cols = {f.name: [r.get(f.name, 0 if f.name == "n_reports" else None) for r in rows] for f in STATIC_LATEST}
    cols["ts"] = [0] * len(rows)
    return pa.table({k: pa.array(v, STATIC_LATEST.field(k).type) if k != "ts" else pa.array(v, pa.int64()).cast(STATIC_LATEST.field(k).type)
                     for k, v in cols.items()}, schema=STATIC_LATEST)


@pytest.fixture(scope="module")
def logged(eagle_s_batches):
    store = DuckDBAlertStore.open()
    AlertPipeline(store).handle([e for b in eagle_s_batches for e in b])
    yield store.events()
    store.close()


@pytest.fixture(scope="module")
def scorer(estlink_assets):
    return RiskScorer.with_assets(estlink_assets)


def test_breakdown_sums_to_total_and_drag_dominates(logged, scorer, eagle_s):
    host = eagle_s.labels[0]["mmsi"]
    now = int(pa.compute.max(logged["detected_ms"]).as_py())
    table = scorer.score_vessels(np.unique(logged["mmsi"].to_numpy()), logged, now)
    assert len(table) == 5
    for m in table.keys:
        s = table.explain(m)
        assert sum(e.points for e in s.breakdown) == pytest.approx(s.total, abs=1e-9)
        assert all(e.points == pytest.approx(e.weight * e.factor) for e in s.breakdown)
        assert 0 <= s.total <= 100
    s = table.explain(host)
    top = s.breakdown[0]
    assert top.source == "event" and "anchor_drag" in top.reason and "Estlink 2" in top.reason and "criticality 5" in top.reason
    assert top.ref in set(logged["event_id"].to_pylist())
    assert top.weight == AlertSettings.load().risk["events"]["anchor_drag"]
    assert s.to_dict()["breakdown"][0]["ref"] == top.ref
    # the dragging vessel outranks every vessel that only approached, crossed or went dark
    draggers = set(np.asarray(logged.filter(pa.compute.equal(logged["type"], "anchor_drag"))["mmsi"]).tolist())
    assert all(table.total(host) > table.total(m) for m in table.keys if m not in draggers)


def test_points_decay_with_the_half_life(logged, scorer, eagle_s):
    host = eagle_s.labels[0]["mmsi"]
    now = int(pa.compute.max(logged["detected_ms"]).as_py())
    half = AlertSettings.load().risk["half_life_days"] * DAY_MS
    t0 = scorer.score_vessels([host], logged, now).explain(host)
    t1 = scorer.score_vessels([host], logged, int(now + half)).explain(host)
    t2 = scorer.score_vessels([host], logged, int(now + 3 * half)).explain(host)
    assert t0.total > t1.total > t2.total > 0
    p0 = {e.ref: e.points for e in t0.breakdown}
    for e in t1.breakdown:  # uncapped here, so each event is exactly halved
        assert e.points == pytest.approx(p0[e.ref] / 2, rel=1e-6)
    gone = scorer.score_vessels([host], logged, int(now + 400 * DAY_MS))  # beyond the 180-day horizon
    assert gone.total(host) == 0.0 and gone.explain(host).breakdown == []


def test_profile_facts_flag_imo_and_cap(logged):
    flags = FlagList.load()
    c = flags.countries(np.array([351000000, 538001234, 636012345, 230123456, 2300001, 257725000]))
    assert list(c[:3]) == ["Panama", "Marshall Islands", "Liberia"] and list(c[3:]) == [None, None, None]
    # real IMO numbers (check digit ok) and corrupted ones
    assert imo_check_valid(np.array([9074729, 9329760, 9074728, 1234567, 123])).tolist() == [True, True, False, True, False]
    scorer = RiskScorer()
    static = static_latest([{"mmsi": 351000001, "imo": 9074728, "ship_type": 80, "name": "X"},
                            {"mmsi": 538000002, "ship_type": 70, "name": "Y"},
                            {"mmsi": 230000003, "imo": 9074729, "ship_type": 70, "name": "Z"}])
    t = scorer.score_vessels([351000001, 538000002, 230000003], logged.slice(0, 0), 0, static)
    refs = {m: sorted(e.ref for e in t.explain(m).breakdown) for m in t.keys}
    assert refs == {351000001: ["flag_of_convenience", "imo_invalid"], 538000002: ["flag_of_convenience", "imo_missing"],
                    230000003: []}
    f = AlertSettings.load().risk["facts"]
    assert t.total(351000001) == f["flag_of_convenience"] + f["imo_invalid"]
    # a heavy config saturates at 100, proportionally, still summing exactly
    heavy = RiskScorer(AlertSettings.from_dict({"risk": {"facts": {"flag_of_convenience": 90.0, "imo_invalid": 60.0}}}))
    s = heavy.score_vessels([351000001], logged.slice(0, 0), 0, static).explain(351000001)
    assert s.total == pytest.approx(100.0) and sum(e.points for e in s.breakdown) == pytest.approx(100.0)
    assert s.breakdown[0].points == pytest.approx(60.0)


def test_watchlist_fuzzy_names_and_identifiers(tmp_path):
    p = tmp_path / "shadow_fleet.csv"
    p.write_text("name,imo,mmsi,aliases,reason\n"
                 "Eagle-S,9329760,,Eagle S;EAGLES,EU sanctions package 16\n"
                 "Anna,,,,short name\n"
                 ",,518998000,,known spoofer\n", encoding="utf-8")
    wl = Watchlist.read_csv(p)
    assert normalise_name("M/V Eagle-S") == "EAGLE S"
    scorer = RiskScorer(watchlist=wl)
    static = static_latest([{"mmsi": 518998000, "name": "PIRAT"}, {"mmsi": 518998001, "name": "EAGLE S"},
                            {"mmsi": 518998002, "name": "EAGLES"}, {"mmsi": 518998003, "name": "ANNE"},
                            {"mmsi": 518998004, "imo": 9329760, "name": "RENAMED"}, {"mmsi": 518998005, "name": "BEAGLE STAR"}])
    empty = pa.table({f.name: pa.array([], f.type) for f in __import__("seawarden.alert.base", fromlist=["EVENT_LOG"]).EVENT_LOG})
    t = scorer.score_vessels(static["mmsi"].to_numpy(), empty, 0, static)
    hits = {m: [e for e in t.explain(m).breakdown if e.ref.startswith("watchlist")] for m in t.keys}
    assert hits[518998000][0].ref == "watchlist_mmsi" and "known spoofer" in hits[518998000][0].reason
    assert hits[518998001][0].ref == "watchlist_name" and "EU sanctions" in hits[518998001][0].reason
    assert hits[518998002][0].ref == "watchlist_name"
    assert hits[518998004][0].ref == "watchlist_imo"
    assert hits[518998003] == [] and hits[518998005] == [], "ANNE is too short to match Anna; BEAGLE STAR is another ship"
    bad = tmp_path / "bad.csv"
    bad.write_text("mmsi,name\nabc,X\n", encoding="utf-8")
    with pytest.raises(WatchlistError, match="line 2"):
        Watchlist.read_csv(bad)


def test_asset_score_traces_events_and_vessels(logged, scorer, estlink_assets, eagle_s):
    now = int(pa.compute.max(logged["detected_ms"]).as_py())
    aid = str(estlink_assets.id[0])
    t = scorer.score_assets([aid], logged, now)
    s = t.explain(aid)
    assert s.subject == "asset Estlink 2" and sum(e.points for e in s.breakdown) == pytest.approx(s.total)
    assert any(e.ref == "criticality" for e in s.breakdown) and any(e.source == "event" for e in s.breakdown)
    assert 0 < s.total <= 100


def test_many_vessels_score_in_one_pass(logged, scorer):
    rng = np.random.default_rng(1)
    n = 20_000
    mmsi = rng.integers(200_000_000, 800_000_000, n)
    static = static_latest([{"mmsi": int(m), "imo": int(i), "ship_type": 70, "name": f"SHIP {k}"}
                            for k, (m, i) in enumerate(zip(mmsi[:2000], rng.integers(1_000_000, 9_999_999, 2000)))])
    t = scorer.score_vessels(mmsi, logged, 0, static)
    assert len(t) == len(np.unique(mmsi)) and (t.totals >= 0).all() and (t.totals <= 100).all()
    assert (t.totals > 0).sum() > 1000  # invalid check digits and flags of convenience are common in random data
