"""Embedded store choice: DuckDB native file vs hive-partitioned (by day) Parquet, on real-derived AIS.

Data: one "day" = the real NOAA MarineCadastre US-coastal day (236 k points) plus the real DMA
2013 5-minute sample (24.7 k positions, Danish waters) repeated every 2 hours, mapped to the
POSITIONS contract; the day is replicated with day shifts (and an MMSI shift on odd days, so
the vessel population doubles) until >= --rows rows. Rows are appended in time order in
100 k-row batches, as an ingest of archive files would.

Measures, in one run: append rows/s; "track of vessel X over one day"; "positions in a 1x1
degree box over one hour" (median of --queries random real targets); a vessel's whole history. Candidates:
  duckdb            DuckDBStore.append, insertion (time) order = ts zone maps
  duckdb+art        same plus an ART index on mmsi (created before the appends)
  duckdb-sorted     the duckdb table rewritten ORDER BY (day, mmsi, ts) -- a periodic re-sort
  parquet-hive      pyarrow write_dataset partitioned by day, zstd; queried by DuckDB read_parquet
Every candidate must return the same row counts; the ratio printed is parquet / duckdb.

``--postgis-load`` instead measures the PostGIS store's load of the same rows (needs --dsn or
$SEAWARDEN_TEST_PG_DSN), each candidate into a fresh schema with the store's indexes:
  csv-copy          COPY (FORMAT csv) fed by pyarrow's CSV writer (the store's former path; the peer)
  binary-copy       PostGISStore.append: COPY (FORMAT binary) built by seawarden.store.pg_binary
  staging+insert    binary COPY into an UNLOGGED table without indexes, then INSERT ... SELECT
  binary-noindex    binary COPY with the indexes dropped (the load's upper bound: no index upkeep)

    python bench/store.py [--rows 10000000] [--queries 20]
    python bench/store.py --postgis-load [--rows 2000000]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "store"))
sys.path.insert(0, str(REPO / "tests"))

from conftest import shared_data_dir  # noqa: E402
from store_real_data import dma_positions  # noqa: E402

from seawarden import schema  # noqa: E402
from seawarden.ingest.batch import DecodedBatch  # noqa: E402
from seawarden.store import DuckDBStore  # noqa: E402

DAY = timedelta(days=1)
BATCH_ROWS = 100_000
START = datetime(2024, 3, 1, tzinfo=timezone.utc)


def noaa_positions(data: Path) -> pa.Table:
    """MarineCadastre trajectory points (mmsi, time, lon, lat only) as POSITIONS."""
    raw = pq.read_table(data / "ais_noaa_marinecadastre" / "US_coastal_2020-06-30_trajectories.parquet")
    n = raw.num_rows
    cols = {f.name: pa.nulls(n, f.type) for f in schema.POSITIONS}
    cols.update(
        mmsi=pc.cast(raw["mmsi"], pa.uint32()),
        ts=pc.cast(pc.assume_timezone(raw["timestamp_utc"], "UTC"), schema.TS),
        lat=raw["lat"],
        lon=raw["lon"],
        msg_type=pa.array(np.ones(n, np.uint8)),
        source=pa.array(["noaa"] * n, pa.string()),
        n_rx=pa.array(np.ones(n, np.uint16)),
    )
    return pa.table(cols, schema=schema.POSITIONS)


def shift(table: pa.Table, by: timedelta, mmsi_offset: int = 0) -> pa.Table:
    ts = pa.array(table["ts"].combine_chunks().cast(pa.int64()).to_numpy() + int(by / timedelta(milliseconds=1)), schema.TS)
    table = table.set_column(table.schema.get_field_index("ts"), table.schema.field("ts"), ts)
    if mmsi_offset:
        table = table.set_column(0, table.schema.field("mmsi"), pc.add(table["mmsi"], pa.scalar(mmsi_offset, pa.uint32())))
    return table


def template_day(data: Path) -> pa.Table:
    """One real-derived day starting at midnight UTC, sorted by time."""
    noaa = noaa_positions(data)
    noaa = shift(noaa, START - datetime(2020, 6, 30, tzinfo=timezone.utc))
    dma = dma_positions(data)
    dma_start = datetime(2013, 11, 12, 12, tzinfo=timezone.utc)
    blocks = [shift(dma, START + timedelta(hours=2 * k) - dma_start) for k in range(12)]
    day = pa.concat_tables([noaa, *blocks])
    return day.take(pc.sort_indices(day, [("ts", "ascending")]))


def days(template: pa.Table, rows: int) -> list[pa.Table]:
    n_days = -(-rows // template.num_rows)
    return [shift(template, k * DAY, 1_000_000 if k % 2 else 0) for k in range(n_days)]


def batches(day_tables: list[pa.Table]) -> list[pa.Table]:
    return [b for d in day_tables for b in (d.slice(i, BATCH_ROWS) for i in range(0, d.num_rows, BATCH_ROWS))]


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


# -- candidates ----------------------------------------------------------------------------------
def load_duckdb(path: Path, chunks: list[pa.Table], art: bool) -> tuple[float, DuckDBStore]:
    store = DuckDBStore(path)
    if art:
        store._con.execute("CREATE INDEX positions_mmsi ON positions (mmsi)")
    seconds, _ = timed(lambda: [store.append(DecodedBatch(positions=c)) for c in chunks] and store._con.execute("CHECKPOINT"))
    return seconds, store


def sort_duckdb(store: DuckDBStore) -> float:
    sql = """
        BEGIN TRANSACTION;
        CREATE TABLE positions_sorted AS SELECT * FROM positions ORDER BY date_trunc('day', ts), mmsi, ts;
        DROP TABLE positions; ALTER TABLE positions_sorted RENAME TO positions;
        COMMIT; CHECKPOINT;
    """
    seconds, _ = timed(lambda: store._con.execute(sql))
    return seconds


def load_parquet(root: Path, chunks: list[pa.Table]) -> float:
    part = ds.partitioning(pa.schema([("day", pa.string())]), flavor="hive")

    def write() -> None:
        for i, chunk in enumerate(chunks):
            day = pc.strftime(chunk["ts"], format="%Y-%m-%d")
            ds.write_dataset(
                chunk.append_column("day", day), root, format="parquet", partitioning=part,
                basename_template=f"part-{i:06d}-{{i}}.parquet", existing_data_behavior="overwrite_or_ignore",
                file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
            )

    seconds, _ = timed(write)
    return seconds


def dir_bytes(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- queries -------------------------------------------------------------------------------------
def pick_targets(day_tables: list[pa.Table], n: int, seed: int = 7) -> list[tuple[int, datetime, float, float]]:
    """Random real rows with a position: (mmsi, time, lon, lat) to aim the queries at."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        d = day_tables[rng.integers(len(day_tables))]
        row = d.slice(int(rng.integers(d.num_rows)), 1).to_pylist()[0]
        if row["lat"] is not None and row["lon"] is not None:
            out.append((row["mmsi"], row["ts"], row["lon"], row["lat"]))
    return out


def day_window(ts: datetime) -> tuple[datetime, datetime]:
    start = ts.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + DAY


def hour_box(target: tuple[int, datetime, float, float]) -> tuple[float, float, float, float, datetime, datetime]:
    _, ts, lon, lat = target
    return lon - 0.5, max(lat - 0.5, -90), lon + 0.5, min(lat + 0.5, 90), ts - timedelta(minutes=30), ts + timedelta(minutes=30)


def parquet_queries(root: Path) -> tuple[Callable[..., pa.Table], Callable[..., pa.Table]]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    src = f"read_parquet('{root}/**/*.parquet', hive_partitioning = true)"

    def run(where: str, params: dict) -> pa.Table:
        # the day partitions of the window, so that DuckDB prunes whole directories
        d0 = params["t0"].replace(hour=0, minute=0, second=0, microsecond=0)
        day_list = []
        while d0 < params["t1"]:
            day_list.append(d0.date())
            d0 += DAY
        params = {**params, "days": day_list}
        sql = f"SELECT * EXCLUDE (day) FROM {src} WHERE list_contains($days, day) AND {where} ORDER BY ts, mmsi"
        return con.sql(sql, params=params).to_arrow_table()

    def track(mmsi: int, t0: datetime, t1: datetime) -> pa.Table:
        return run("mmsi = $mmsi AND ts >= $t0 AND ts < $t1", {"mmsi": mmsi, "t0": t0, "t1": t1})

    def box(lon0: float, lat0: float, lon1: float, lat1: float, t0: datetime, t1: datetime) -> pa.Table:
        where = "ts >= $t0 AND ts < $t1 AND lat BETWEEN $a AND $b AND lon BETWEEN $c AND $d"
        return run(where, {"t0": t0, "t1": t1, "a": lat0, "b": lat1, "c": lon0, "d": lon1})

    return track, box


def median_ms(fn: Callable[..., pa.Table], args: list[tuple]) -> tuple[float, int]:
    fn(*args[0])  # warm caches
    times, rows = [], 0
    for a in args:
        seconds, out = timed(lambda: fn(*a))
        times.append(seconds)
        rows += out.num_rows  # type: ignore[union-attr]
    return statistics.median(times) * 1e3, rows


def _csv_copy(cur, table: str, data: pa.Table) -> None:
    """The store's former load path, kept here as the peer: pyarrow CSV text into COPY (FORMAT csv)."""
    import pyarrow.csv as pacsv

    with cur.copy(f"COPY {table} ({', '.join(data.column_names)}) FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, data.num_rows, 262_144):
            buf = io.BytesIO()
            pacsv.write_csv(data.slice(start, 262_144), buf, pacsv.WriteOptions(include_header=False))
            copy.write(buf.getbuffer())


def postgis_load(dsn: str, chunks: list[pa.Table]) -> None:
    """Load rows/s of the PostGIS candidates (each in its own schema, dropped afterwards)."""
    import psycopg

    from seawarden.store.pg_binary import encode  # noqa: F401 -- compiled before timing (numba cache)
    from seawarden.store.postgis import PostGISStore, copy_in

    encode(chunks[0].slice(0, 10))
    total = sum(c.num_rows for c in chunks)
    cols = ", ".join(schema.POSITIONS.names)
    rates: dict[str, float] = {}
    for name in ("csv-copy", "binary-copy", "staging+insert", "binary-noindex"):
        bench_schema = f"bench_load_{os.getpid()}_{name.replace('+', '_').replace('-', '_')}"
        try:
            with PostGISStore(dsn, schema=bench_schema) as db:
                con = db._con
                if name == "binary-noindex":
                    con.execute("DROP INDEX positions_geom_gist, positions_mmsi_ts, positions_ts_brin")
                t0 = time.perf_counter()
                with con.transaction(), con.cursor() as cur:
                    if name == "staging+insert":
                        cur.execute("CREATE UNLOGGED TABLE staging (LIKE positions INCLUDING DEFAULTS)")
                        cur.execute("ALTER TABLE staging DROP COLUMN geom")
                    for chunk in chunks:
                        if name == "csv-copy":
                            _csv_copy(cur, "positions", chunk)
                        elif name == "staging+insert":
                            copy_in(cur, "staging", chunk)
                        else:
                            copy_in(cur, "positions", chunk)
                    if name == "staging+insert":
                        cur.execute(f"INSERT INTO positions ({cols}) SELECT {cols} FROM staging")
                        cur.execute("DROP TABLE staging")
                load_s = time.perf_counter() - t0
                (n,) = con.execute("SELECT count(*) FROM positions").fetchone()
                if n != total:
                    raise SystemExit(f"{name}: {n:,} rows stored, {total:,} sent")
                rates[name] = total / load_s
                print(f"  {name:15s} {load_s:6.1f} s = {rates[name]:>10,.0f} rows/s", flush=True)
        finally:
            with psycopg.connect(dsn, autocommit=True) as con:
                con.execute(f'DROP SCHEMA IF EXISTS "{bench_schema}" CASCADE')
    peer = rates["csv-copy"]
    print("ratio vs csv-copy: " + ", ".join(f"{k} {v / peer:.2f}x" for k, v in rates.items() if k != "csv-copy"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--postgis-load", action="store_true", help="measure only the PostGIS load paths (see above)")
    ap.add_argument("--dsn", default=os.environ.get("SEAWARDEN_TEST_PG_DSN"), help="PostgreSQL + PostGIS for --postgis-load")
    args = ap.parse_args()
    if args.postgis_load:
        if not args.dsn:
            raise SystemExit("--postgis-load needs --dsn or SEAWARDEN_TEST_PG_DSN (source scripts/postgres.sh)")
        chunks = batches(days(template_day(shared_data_dir()), args.rows))
        print(f"data: {sum(c.num_rows for c in chunks):,} real-derived rows in {len(chunks)} batches of <= {BATCH_ROWS:,}")
        postgis_load(args.dsn, chunks)
        return

    work = args.workdir or Path(tempfile.mkdtemp(prefix="seawarden-bench-store-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        template = template_day(shared_data_dir())
        day_tables = days(template, args.rows)
        chunks = batches(day_tables)
        total = sum(c.num_rows for c in chunks)
        print(f"data: {total:,} rows, {len(day_tables)} days, template day {template.num_rows:,} real-derived rows, "
              f"{len(chunks)} append batches of <= {BATCH_ROWS:,}")
        targets = pick_targets(day_tables, args.queries)
        track_args = [(m, *day_window(ts)) for m, ts, _, _ in targets]
        span = (START, START + len(day_tables) * DAY)
        history_args = [(m, *span) for m, _, _, _ in targets[: max(3, args.queries // 4)]]
        box_args = [hour_box(t) for t in targets]

        results: dict[str, dict[str, float]] = {}

        def measure(name: str, load_s: float, size: int, track: Callable, box: Callable) -> None:
            t_ms, t_rows = median_ms(track, track_args)
            b_ms, b_rows = median_ms(box, box_args)
            h_ms, h_rows = median_ms(track, history_args)
            results[name] = {"rows_s": total / load_s, "mb": size / 1e6, "track_ms": t_ms, "box_ms": b_ms,
                             "history_ms": h_ms, "track_rows": t_rows, "box_rows": b_rows, "history_rows": h_rows}
            print(f"  {name:14s} append {total / load_s / 1e6:6.2f} M rows/s  size {size / 1e6:7.1f} MB  "
                  f"track(1 day) {t_ms:6.1f} ms  box(1x1 deg, 1 h) {b_ms:6.1f} ms  track(all days) {h_ms:6.1f} ms  "
                  f"[{t_rows:,} / {b_rows:,} / {h_rows:,} rows]", flush=True)

        for name, art in (("duckdb", False), ("duckdb+art", True)):
            path = work / f"{name}.duckdb"
            load_s, store = load_duckdb(path, chunks, art)
            measure(name, load_s, dir_bytes(path), store.track, store.positions_in_box)
            if not art:
                sort_s = sort_duckdb(store)
                print(f"  (re-sort of the duckdb table by day, mmsi, ts: {sort_s:.1f} s)")
                measure("duckdb-sorted", load_s, dir_bytes(path), store.track, store.positions_in_box)
            store.close()
            path.unlink()

        root = work / "parquet"
        load_s = load_parquet(root, chunks)
        track, box = parquet_queries(root)
        measure("parquet-hive", load_s, dir_bytes(root), track, box)

        counts = {(r["track_rows"], r["box_rows"], r["history_rows"]) for r in results.values()}
        if len(counts) != 1:
            raise SystemExit(f"candidates disagree on query results: {results}")
        d, p = results["duckdb"], results["parquet-hive"]
        print(f"ratio parquet-hive / duckdb: append speed {p['rows_s'] / d['rows_s']:.2f}x, size {p['mb'] / d['mb']:.2f}x, "
              f"track time {p['track_ms'] / d['track_ms']:.1f}x, box time {p['box_ms'] / d['box_ms']:.1f}x, "
              f"all-days track time {p['history_ms'] / d['history_ms']:.1f}x")
        for name in ("duckdb+art", "duckdb-sorted"):
            r = results[name]
            print(f"ratio {name} / duckdb: append {r['rows_s'] / d['rows_s']:.2f}x, track time {r['track_ms'] / d['track_ms']:.2f}x, "
                  f"box time {r['box_ms'] / d['box_ms']:.2f}x, all-days track time {r['history_ms'] / d['history_ms']:.2f}x")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
