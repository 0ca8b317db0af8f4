"""Alert commits while the archive is being appended: the alert log in a file of its own vs in the archive file.

Why: DuckDB checkpoints a file once its write-ahead log passes 16 MB, and no commit to that file goes
through meanwhile (150-300 ms at bench/live.py's 20 k messages/s). With the events and alerts in the
archive file (seawarden's layout before the alert log, the peer here), an alert waiting behind that
checkpoint reached the operator that much later.

Workload, the same for both layouts, in one process as ``seawarden watch`` runs it: a writer thread
appends the real DMA sample's positions (2013, decoded by seawarden, shifted in time pass by pass) through a store handle of
its own, ``--rows-per-s`` in 4 appends a second (the live bench's rate is 20 k/s; the default is
higher so that checkpoints come every few seconds); meanwhile the alert writer commits a new alert
every 20 ms (one real event of the Estlink 2 drag scenario under a new id, its alert and history line,
through DuckDBAlertStore.commit). The two layouts run in turns (``--turns`` of ``--seconds`` each) on
fresh files. Printed: alert commit p50 / p99 / max per layout and the ratio peer / ours.

    python bench/alert_commits.py [--seconds 15] [--turns 2] [--rows-per-s 80000]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realdata import SHARED  # noqa: E402

from seawarden import schema  # noqa: E402
from seawarden.alert.model import Alert, Transition, utc_now  # noqa: E402
from seawarden.ingest.batch import DecodedBatch  # noqa: E402
from seawarden.store import DuckDBStore  # noqa: E402
from seawarden.store import migrations  # noqa: E402
from seawarden.store.alerts_duckdb import DuckDBAlertStore  # noqa: E402

COMMIT_EVERY_S = 0.02


def real_positions() -> pa.Table:
    """The real DMA sample's position reports, decoded by seawarden."""
    import gzip

    from realdata import NMEA

    from seawarden.ingest.nmea import NmeaDecoder

    dec = NmeaDecoder()
    batch = dec.feed(gzip.open(NMEA).read())
    return pa.concat_tables([batch.positions, dec.flush().positions])


def real_events():
    """The events the detectors raise on the real-derived Estlink 2 drag scenario (what an alert round carries)."""
    from seawarden.alert.forensics.demo import estlink2_drag_scenario
    from seawarden.assets import load_path
    from seawarden.assets.spatial import AssetIndex
    from seawarden.detect import DetectionEngine

    sc = estlink2_drag_scenario(SHARED)
    engine = DetectionEngine(index=AssetIndex.build(load_path(SHARED)))
    events = engine.process(sc.positions) + engine.flush()
    if not events:
        raise SystemExit("the scenario raised no events: nothing to commit")
    return events


def alert_store(layout: str, path: Path) -> tuple[DuckDBStore, DuckDBAlertStore]:
    """ours: the store as it is (alert log attached, own file); peer: the same tables inside the archive file."""
    store = DuckDBStore(path)
    if layout == "ours":
        return store, DuckDBAlertStore(store)
    handle = store.reader()
    cur = store._con.cursor()  # default catalog: the archive file
    cur.execute(migrations.ALERT_LOG_MIGRATIONS[0].sql)
    handle._alert_con = cur  # the alert store's reads, writes and transactions go to the archive file
    return store, DuckDBAlertStore(handle)


def run(layout: str, workdir: Path, positions: pa.Table, events, seconds: float, rows_per_s: int) -> np.ndarray:
    store, alerts = alert_store(layout, workdir / f"{layout}.duckdb")
    appender = store.reader()
    stop = threading.Event()
    per_append = max(1, rows_per_s // 4)
    span = int(pc.max(positions["ts"]).cast(pa.int64()).as_py()) - int(pc.min(positions["ts"]).cast(pa.int64()).as_py()) + 1

    def append_loop() -> None:
        k = 0
        start = time.monotonic()
        while not stop.is_set():
            rows = positions.slice(0, per_append) if per_append <= positions.num_rows else positions
            ts = pc.add(rows["ts"].cast(pa.int64()), k * span).cast(schema.POSITIONS.field("ts").type)
            appender.append(DecodedBatch(positions=rows.set_column(1, "ts", ts)))
            k += 1
            stop.wait(max(0.0, start + k * 0.25 - time.monotonic()))

    writer = threading.Thread(target=append_loop, daemon=True)
    writer.start()
    took = []
    now = utc_now()
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        e = events[n % len(events)]
        ev = dataclasses.replace(e, event_id=f"{e.event_id}-{n}")
        aid = f"al-{n}"
        alert = Alert(aid, "seabed_threat", ev.mmsi, ev.asset_id, ev.asset_name, "open", ev.severity, "t", ev.start,
                      ev.detected_at, ev.lat, ev.lon, now, now, event_ids=[ev.event_id])
        t0 = time.perf_counter()
        alerts.commit([(ev, aid)], [alert], [Transition(aid, 1, now, "opened", None, "open", ev.severity, event_id=ev.event_id)])
        took.append(time.perf_counter() - t0)
        n += 1
        time.sleep(COMMIT_EVERY_S)
    stop.set()
    writer.join()
    appender.close()
    if alerts.store is not store:  # the peer's handle
        alerts.store.close()
    store.close()
    return np.array(took) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--turns", type=int, default=2)
    ap.add_argument("--rows-per-s", type=int, default=80_000)
    args = ap.parse_args()
    positions = real_positions()
    while positions.num_rows < args.rows_per_s // 4:
        positions = pa.concat_tables([positions, positions])
    events = real_events()
    print(f"{positions.num_rows:,} real DMA positions per pass, {len(events)} real events; appends of "
          f"{args.rows_per_s // 4:,} rows 4 times a second, an alert commit every {COMMIT_EVERY_S * 1000:.0f} ms")
    took: dict[str, list[np.ndarray]] = {"peer": [], "ours": []}
    with tempfile.TemporaryDirectory() as tmp:
        for turn in range(args.turns):
            for layout in ("peer", "ours"):
                work = Path(tmp) / f"{layout}{turn}"
                work.mkdir()
                took[layout].append(run(layout, work, positions, events, args.seconds, args.rows_per_s))
    stats = {}
    for layout, runs in took.items():
        t = np.concatenate(runs)
        stats[layout] = p50, p99, top = np.percentile(t, 50), np.percentile(t, 99), t.max()
        name = "seawarden (alert log file)" if layout == "ours" else "peer (alerts in the archive file)"
        print(f"{name:36s} {len(t):5d} commits: p50 {p50:6.1f} ms, p99 {p99:6.1f} ms, max {top:6.1f} ms")
    print(f"ratio peer / seawarden: p99 {stats['peer'][1] / stats['ours'][1]:.1f}x, max {stats['peer'][2] / stats['ours'][2]:.1f}x")


if __name__ == "__main__":
    main()
