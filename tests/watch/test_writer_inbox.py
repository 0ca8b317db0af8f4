"""The writers' inboxes: FIFO, a backlog taken at once, the AIS side bounded (back-pressure), and a closed inbox
(its writer failed) never blocks the ingest thread."""

from __future__ import annotations

import threading

from seawarden.watch.service import _END, _Inbox


def test_a_backlog_is_taken_at_once_in_order():
    inbox = _Inbox()
    inbox.put(["e1", "e2"])
    inbox.put(["e3"])
    inbox.put(_END)
    assert len(inbox) == 3
    assert inbox.take_all() == [["e1", "e2"], ["e3"], _END]
    assert len(inbox) == 0
    inbox.put("append-1")
    inbox.put("append-2")
    assert inbox.take() == "append-1"
    assert inbox.take() == "append-2"


def test_a_taker_waits_for_work():
    inbox = _Inbox()
    got: list = []
    taker = threading.Thread(target=lambda: got.append(inbox.take_all()), daemon=True)
    taker.start()
    taker.join(0.2)
    assert taker.is_alive() and not got
    inbox.put("x")
    taker.join(5)
    assert got == [["x"]]


def test_a_bounded_inbox_holds_the_giver_back_until_taken_or_closed():
    inbox = _Inbox(maxsize=2)
    inbox.put("a")
    inbox.put("b")
    third = threading.Thread(target=inbox.put, args=("c",), daemon=True)
    third.start()
    third.join(0.2)
    assert third.is_alive(), "a full inbox holds the producer back"
    assert inbox.take() == "a"
    third.join(5)
    assert not third.is_alive() and len(inbox) == 2
    blocked = threading.Thread(target=inbox.put, args=("d",), daemon=True)  # full again (b, c) ...
    blocked.start()
    blocked.join(0.2)
    assert blocked.is_alive()
    inbox.close()  # ... until its writer fails: what it is given then is counted, not kept
    blocked.join(5)
    assert not blocked.is_alive()
    inbox.put("e")
    assert inbox.dropped == 2 and len(inbox) == 2
