"""The writer's inbox: alerts go before AIS appends, a backlog of detector calls is one pipeline call, the
store side is bounded (back-pressure) and a failed writer never blocks the ingest thread."""

from __future__ import annotations

import threading

from seawarden.watch.service import _END, _Writes


def test_events_go_first_and_a_backlog_is_one_call_in_order():
    w = _Writes(store_max=8)
    w.put_store("append-1")
    w.put_events(["e1", "e2"])
    w.put_events([])  # a detector call without events costs the writer nothing
    w.put_events(["e3"])
    w.put_store(_END)
    assert w.pending() == 4
    assert w.get() == ("events", ["e1", "e2", "e3"])
    assert w.get() == ("store", "append-1")
    assert w.get() == ("store", _END)
    assert w.pending() == 0


def test_store_side_is_bounded_and_a_closed_inbox_never_blocks():
    w = _Writes(store_max=2)
    w.put_store("a")
    w.put_store("b")
    third = threading.Thread(target=w.put_store, args=("c",), daemon=True)
    third.start()
    third.join(0.2)
    assert third.is_alive(), "a full store inbox holds the producer back"
    assert w.get() == ("store", "a")
    third.join(5)
    assert not third.is_alive() and w.pending() == 2
    blocked = threading.Thread(target=w.put_store, args=("d",), daemon=True)  # full again (b, c) ...
    blocked.start()
    blocked.join(0.2)
    assert blocked.is_alive()
    w.close()  # ... until the writer fails
    blocked.join(5)
    assert not blocked.is_alive()
