"""The alert working set (one writing process, DuckDB): the same alerts as reading the store every time, fewer reads.

Every pipeline test in test_pipeline*.py also runs through it (conftest.alert_store); these cover what is its own:
the reads it saves, a restart, forgetting, and a failed commit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from alert_support import Clock

from seawarden.alert import AlertPipeline, AlertSettings
from seawarden.alert.working_set import AlertWorkingSet
from seawarden.store import DuckDBStore, alert_store_for, pipeline_store_for

CAUTIOUS = {"alerts": {"min_severity": {"approach": 2, "cable_crossing": 2}}}
READS = ("known_events", "active_alerts", "alerts_by_id", "get", "next_seqs", "next_seq")


class Counting:
    """An AlertStore proxy that counts the pipeline's reads and can fail the next commit."""

    def __init__(self, store) -> None:
        self.store, self.reads, self.fail_next_commit = store, 0, False

    def __getattr__(self, name):
        attr = getattr(self.store, name)
        if name in READS:
            def counted(*args, **kwargs):
                self.reads += 1
                return attr(*args, **kwargs)
            return counted
        if name == "commit" and self.fail_next_commit:
            self.fail_next_commit = False

            def failing(*args, **kwargs):
                raise OSError("disk full")
            return failing
        return attr


def _store(tmp_path: Path, name: str):
    return alert_store_for(DuckDBStore(tmp_path / f"{name}.duckdb"))


def _run(store, batches, host: int, hold_s: float | None = None) -> list[tuple]:
    """Replay with an operator acknowledging the host's first alert a third of the way in and resolving it at two thirds
    (with ``hold_s``, the rounds a working set holds are flushed after every call once that old, as watch does)."""
    pipe = AlertPipeline(store, config=AlertSettings.from_dict(CAUTIOUS), clock=Clock())
    out = []
    for i, batch in enumerate(batches):
        out += [(c.change, c.alert.alert_id, c.transition.seq, c.alert.severity, c.alert.status) for c in pipe.handle(batch)]
        if hold_s is not None:
            pipe.flush(hold_s)
        mine = [a for a in store.list_alerts(mmsi=host) if a.active]
        if mine and i == len(batches) // 3:
            out.append(("ack", pipe.acknowledge(mine[0].alert_id, by="duty officer").transition.seq))
        if mine and i == 2 * len(batches) // 3:
            out.append(("resolve", pipe.resolve(mine[0].alert_id, by="duty officer", reason="escorted").transition.seq))
    if hold_s is not None:
        pipe.close()
    return out


def _state(store) -> list[tuple]:
    return [(a.alert_id, a.status, a.severity, a.first_event_ms, a.last_event_ms, sorted(a.event_ids),
             [(t.seq, t.action, t.to_status) for t in store.history(a.alert_id)]) for a in store.list_alerts()]


def test_same_changes_and_stored_state_as_reading_the_store(tmp_path, eagle_s, eagle_s_batches):
    host = eagle_s.labels[0]["mmsi"]
    plain, cached = _store(tmp_path, "plain"), AlertWorkingSet(_store(tmp_path, "cached"))
    expected = _run(plain, eagle_s_batches, host)
    assert any(c[0] == "ack" for c in expected) and any(c[0] == "resolve" for c in expected)
    assert _run(cached, eagle_s_batches, host) == expected
    assert _state(cached.store) == _state(plain)
    assert _state(cached) == _state(plain)


def test_rounds_of_known_events_read_nothing(tmp_path, eagle_s, eagle_s_batches):
    counting = Counting(_store(tmp_path, "s"))
    pipe = AlertPipeline(AlertWorkingSet(counting), config=AlertSettings.from_dict(CAUTIOUS), clock=Clock())
    plain = Counting(_store(tmp_path, "plain"))
    plain_pipe = AlertPipeline(plain, config=AlertSettings.from_dict(CAUTIOUS), clock=Clock())
    seen: set[str] = set()
    rounds = {"working set": [], "plain": []}  # (round had event ids never seen before, round read the store)
    for batch in eagle_s_batches:
        new = any(e.event_id not in seen for e in batch)
        seen.update(e.event_id for e in batch)
        for name, p, c in (("working set", pipe, counting), ("plain", plain_pipe, plain)):
            before = c.reads
            p.handle(batch)
            rounds[name].append((new, c.reads > before))
    assert any(read for _, read in rounds["working set"])
    assert all(new for new, read in rounds["working set"] if read), "only rounds with new event ids read the store"
    assert any(read and not new for new, read in rounds["plain"])
    host = eagle_s.labels[0]["mmsi"]
    alert = next(a for a in counting.list_alerts(mmsi=host) if a.kind == "seabed_threat")
    drag = next(e for b in eagle_s_batches for e in b if e.type == "anchor_drag" and e.mmsi == host)
    later = replace(drag, status="update", end=None, detected_at=drag.detected_at + 600_000)
    before = counting.reads
    changes = pipe.handle([later])  # a re-report of an event this run stored, attached to an active alert
    assert counting.reads == before, "a round of known events attached to active alerts reads nothing"
    assert all(c.alert.alert_id == alert.alert_id for c in changes)


def test_a_restarted_process_recognises_what_the_store_holds(tmp_path, eagle_s, eagle_s_batches):
    store = _store(tmp_path, "s")
    AlertPipeline(AlertWorkingSet(store), config=AlertSettings.from_dict(CAUTIOUS), clock=Clock()).handle(
        [e for b in eagle_s_batches[: len(eagle_s_batches) // 2] for e in b])
    before = _state(store)
    assert any(a.active for a in store.list_alerts())
    restarted = AlertPipeline(AlertWorkingSet(store), config=AlertSettings.from_dict(CAUTIOUS), clock=Clock())
    assert restarted.handle([e for b in eagle_s_batches[: len(eagle_s_batches) // 2] for e in b]) == []
    assert _state(store) == before
    # the rest of the input joins the alerts opened before the restart, as one process would have done
    reference = _store(tmp_path, "reference")
    one = AlertPipeline(reference, config=AlertSettings.from_dict(CAUTIOUS), clock=Clock())
    one.handle([e for b in eagle_s_batches[: len(eagle_s_batches) // 2] for e in b])
    one.handle([e for b in eagle_s_batches[len(eagle_s_batches) // 2:] for e in b])
    restarted.handle([e for b in eagle_s_batches[len(eagle_s_batches) // 2:] for e in b])
    assert [(a.alert_id, a.severity, sorted(a.event_ids)) for a in store.list_alerts()] == \
        [(a.alert_id, a.severity, sorted(a.event_ids)) for a in reference.list_alerts()]


def test_forgetting_costs_reads_not_answers(tmp_path, eagle_s, eagle_s_batches):
    host = eagle_s.labels[0]["mmsi"]
    expected = _run(_store(tmp_path, "plain"), eagle_s_batches, host)
    small = AlertWorkingSet(_store(tmp_path, "small"), max_events=2)
    assert _run(small, eagle_s_batches, host) == expected
    assert len(small._known) <= 2 + max(len(b) for b in eagle_s_batches)


def test_a_failed_commit_leaves_memory_as_the_store_is(tmp_path, eagle_s_batches):
    counting = Counting(_store(tmp_path, "s"))
    ws = AlertWorkingSet(counting)
    pipe = AlertPipeline(ws, config=AlertSettings.from_dict(CAUTIOUS), clock=Clock())
    events = [e for b in eagle_s_batches for e in b]
    half = len(events) // 2
    pipe.handle(events[:half])
    counting.fail_next_commit = True
    with pytest.raises(OSError, match="disk full"):
        pipe.handle(events[half:])
    store = counting.store
    keys = [a.key for a in store.list_alerts()]
    assert {k: a.last_event_ms for k, a in ws.active_alerts(keys).items()} == \
        {k: a.last_event_ms for k, a in store.active_alerts(keys).items()}
    ids = [e.event_id for e in events]
    assert ws.known_events(ids) == store.known_events(ids)
    # and the round goes through when retried
    fresh = _store(tmp_path, "fresh")
    reference = AlertPipeline(fresh, config=AlertSettings.from_dict(CAUTIOUS), clock=Clock())
    reference.handle(events[:half])
    reference.handle(events[half:])
    pipe.handle(events[half:])
    assert sorted((a.alert_id, a.severity, a.status) for a in store.list_alerts()) == \
        sorted((a.alert_id, a.severity, a.status) for a in fresh.list_alerts())


def test_only_a_writable_duckdb_store_gets_the_working_set(tmp_path):
    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as db:
        assert isinstance(pipeline_store_for(db), AlertWorkingSet)
    with DuckDBStore(path, read_only=True) as db:
        assert not isinstance(pipeline_store_for(db), AlertWorkingSet)


class KeyLookups:
    """Counts the DuckDB alert store's "which of these keys are stored" queries (and lets them through)."""

    def __init__(self, store) -> None:
        self.store, self.lookups, rows = store, [], store._rows

        def counted(sql, params=None):
            if "list_contains(?, event_id)" in sql and sql.startswith("SELECT event_id FROM events"):
                self.lookups.append(list(params[0]))
            return rows(sql, params)
        store._rows = counted


def _with_rereports(batches) -> list[list]:
    """The batches, then every open event re-reported a minute apart (stored, told at most every 10 min: held),
    then closed (told at once: written, superseding what is held)."""
    open_events = list({e.event_id: e for b in batches for e in b if e.status == "open"}.values())
    later = lambda e, m, **kw: replace(e, end=e.detected_at + m * 60_000, detected_at=e.detected_at + m * 60_000, **kw)  # noqa: E731
    return [*batches, *([later(e, m) for e in open_events] for m in (1, 2, 3, 4)),
            [later(e, 5, status="closed") for e in open_events]]


def test_held_and_superseded_rounds_store_what_reading_the_store_would(tmp_path, eagle_s, eagle_s_batches):
    """Events the store said it lacks are inserted without a key lookup, held or not, superseded or not."""
    batches = _with_rereports(eagle_s_batches)
    host = eagle_s.labels[0]["mmsi"]
    expected_store = _store(tmp_path, "plain")
    expected = _run(expected_store, batches, host)
    ticks = iter(range(10**6))
    held = AlertWorkingSet(_store(tmp_path, "held"), hold_s=2.0, clock=lambda: float(next(ticks)))
    spy = KeyLookups(held.store)
    out = _run(held, batches, host, hold_s=2.0)
    assert held.stats["held_rounds"] and held.stats["flushes"]
    assert out == expected
    assert _state(held.store) == _state(expected_store)
    assert _events(held.store) == _events(expected_store)
    asked = {eid for lookup in spy.lookups for eid in lookup}
    rewritten = {e.event_id for b in batches[len(eagle_s_batches):] for e in b}  # the re-reports
    assert asked and asked <= rewritten, "an event the store lacks is written without asking whether it is stored"


def _events(store) -> list[tuple]:
    t = store.events()
    return sorted(zip(*(t[c].to_pylist() for c in ("event_id", "status", "end_ms", "alert_id"))))
