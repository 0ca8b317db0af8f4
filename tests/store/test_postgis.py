"""What only the PostGIS store has: Alembic migrations, several processes at once, indexes, and ``open_store``."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from store_backends import StoreFactory, drop_schemas, pg_dsn
from store_real_data import EVER, canonical

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import DuckDBStore, StoreInputError, StoreVersionError, alert_store_for, pg_migrations
from seawarden.store import open_store as store_from_spec

T0 = datetime(2013, 11, 12, 12, tzinfo=timezone.utc)


@pytest.fixture()
def pg(tmp_path: Path):
    with StoreFactory("postgis", tmp_path) as factory:
        yield factory


def tables(dsn: str, name: str) -> set[str]:
    with psycopg.connect(dsn) as con:
        rows = con.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [name]).fetchall()
    return {r[0] for r in rows}


# -- migrations ----------------------------------------------------------------------------------
def test_alembic_upgrades_an_empty_schema_down_and_up_again(pg: StoreFactory) -> None:
    name = pg.schema("mig")
    pg_migrations.upgrade(pg.dsn, name)
    with psycopg.connect(pg.dsn) as con:
        assert pg_migrations.current(con, name) == pg_migrations.head() == "0002"
        geom = con.execute("SELECT type, srid FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = 'positions'",
                           [name]).fetchone()
        assert geom == ("POINT", 4326)
        indexes = {r[0] for r in con.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s", [name]).fetchall()}
        assert any("USING gist (geom)" in i for i in indexes) and any("USING brin (ts)" in i for i in indexes)
        assert {"positions", "events", "alerts", "alert_history", "alembic_version"} <= tables(pg.dsn, name)
        pg_migrations.downgrade(pg.dsn, name, "0001")
        assert pg_migrations.current(con, name) == "0001"
        assert "events" not in tables(pg.dsn, name) and "positions" in tables(pg.dsn, name)
        pg_migrations.downgrade(pg.dsn, name, "base")
        assert pg_migrations.current(con, name) is None and tables(pg.dsn, name) == {"alembic_version"}
    with pg("mig") as store:  # opening upgrades again
        assert store.stats()["schema_version"] == 2
        assert {"positions", "events", "alerts"} <= tables(pg.dsn, name)


def test_newer_and_stale_schemas_are_refused(pg: StoreFactory) -> None:
    with pg("future") as store:
        store._con.execute(f'UPDATE "{pg.schema("future")}".alembic_version SET version_num = \'9999\'')
    with pytest.raises(StoreVersionError, match="9999 is newer"):
        pg("future")
    with pytest.raises(StoreVersionError, match="open it once for writing"):
        pg("never_migrated", read_only=True)
    from seawarden.store.postgis import PostGISStore

    with pytest.raises(ValueError, match="schema name"):
        PostGISStore(pg.dsn, schema='x"; DROP TABLE positions; --')


def test_unreachable_server_is_a_clear_error() -> None:
    from seawarden.store.postgis import PostGISStore

    with pytest.raises(ConnectionError, match=r"someone:\*\*\*@127.0.0.1:1/nothing .*cannot connect.*refused") as err:
        PostGISStore("postgresql://someone:secret@127.0.0.1:1/nothing")
    assert "secret" not in str(err.value)


def test_read_only_store_refuses_writes_at_the_server_too(pg: StoreFactory, dma: DecodedBatch) -> None:
    with pg("ro") as writer:
        writer.append(DecodedBatch(positions=dma.positions.slice(0, 10)))
    with pg("ro", read_only=True) as reader:
        assert reader.stats()["rows"]["positions"] == 10
        with pytest.raises(StoreInputError, match="read_only"):
            reader.append(DecodedBatch(positions=dma.positions.slice(0, 1)))
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader._con.execute("DELETE FROM positions")


def test_box_query_can_use_the_gist_index(loaded_pg) -> None:
    store = loaded_pg
    with store._con.transaction():
        store._con.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in store._con.execute(
            "EXPLAIN SELECT * FROM positions WHERE geom && ST_MakeEnvelope(12.4, 55.5, 12.9, 56.1, 4326)").fetchall())
    assert "positions_geom_gist" in plan


@pytest.fixture(scope="module")
def loaded_pg(dma: DecodedBatch, tmp_path_factory: pytest.TempPathFactory):
    with StoreFactory("postgis", tmp_path_factory.mktemp("pg")) as factory:
        store = factory("loaded")
        store.append(dma)
        yield store


# -- several processes ---------------------------------------------------------------------------
WORKER = """
import sys, time
from pathlib import Path
import pyarrow.parquet as pq
from seawarden.ingest.batch import DecodedBatch
from seawarden.store.postgis import PostGISStore

dsn, name, path, mode, ready = sys.argv[1:6]
table = pq.read_table(path)
with PostGISStore(dsn, schema=name) as store:
    Path(ready).touch()  # start line: both workers write at the same moment, not one after the other
    while not Path(ready).with_name("go").exists():
        time.sleep(0.01)
    if mode == "append":
        for i in range(0, table.num_rows, 1000):
            store.append(DecodedBatch(positions=table.slice(i, 1000)))
        print("appended")
    else:
        print("ingested" if store.ingest((DecodedBatch(positions=table.slice(i, 2000)) for i in range(0, table.num_rows, 2000)),
                                         fingerprint="same-file", origin=path) else "skipped")
"""


def run_two(pg: StoreFactory, name: str, paths: list[Path], mode: str) -> list[str]:
    ready = [pg.tmp_path / f"ready{i}" for i in range(len(paths))]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, pg.dsn, pg.schema(name), str(p), mode, str(r)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p, r in zip(paths, ready)]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline and all(p.poll() is None for p in procs):
        time.sleep(0.01)
    (pg.tmp_path / "go").touch()
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    return sorted(out.strip() for out, _ in outs)


def test_two_processes_append_at_once_and_a_reader_sees_whole_batches(pg: StoreFactory, dma: DecodedBatch, tmp_path: Path) -> None:
    half = dma.positions.num_rows // 2
    parts = [dma.positions.slice(0, half), dma.positions.slice(half)]
    paths = [tmp_path / f"part{i}.parquet" for i in range(2)]
    for part, path in zip(parts, paths):
        pq.write_table(part, path)
    with pg("shared") as store:  # migrated before the writers start
        assert run_two(pg, "shared", paths, "append") == ["appended", "appended"]
        got = store.positions_between(*EVER)
        assert canonical(got).equals(canonical(dma.positions))
        assert store.reader().stats()["rows"]["positions"] == dma.positions.num_rows


def test_two_processes_ingesting_one_file_load_it_once(pg: StoreFactory, dma: DecodedBatch, tmp_path: Path) -> None:
    path = tmp_path / "positions.parquet"
    pq.write_table(dma.positions, path)
    with pg("once") as store:
        assert run_two(pg, "once", [path, path], "ingest") == ["ingested", "skipped"]
        assert store.stats()["rows"]["positions"] == dma.positions.num_rows
        assert store.ingested_files().num_rows == 1


def test_readers_never_see_a_half_ingested_file(pg: StoreFactory, dma: DecodedBatch) -> None:
    seen: list[int] = []
    with pg("iso") as writer, writer.reader() as reader:
        def batches():
            for i in range(3):
                yield DecodedBatch(positions=dma.positions.slice(i * 100, 100))
                seen.append(reader.stats()["rows"]["positions"])  # another connection, mid-ingest

        assert writer.ingest(batches(), fingerprint="f", origin="test")
        assert seen == [0, 0, 0]
        assert reader.stats()["rows"]["positions"] == 300 and reader.has_ingested("f")


def test_iter_positions_streams_while_the_store_is_queried(loaded_pg) -> None:
    t0, t1 = T0, T0 + timedelta(minutes=4)
    replay = []
    for batch in loaded_pg.iter_positions(t0, t1, batch_rows=2500):
        assert batch.num_rows <= 2500 and batch.schema == schema.POSITIONS
        loaded_pg.stats()  # the store's own connection stays usable between batches
        replay.append(batch)
    assert pa.Table.from_batches(replay).equals(loaded_pg.positions_between(t0, t1))
    assert list(loaded_pg.iter_positions(EVER[0], EVER[0] + timedelta(days=1))) == []


# -- open_store ----------------------------------------------------------------------------------
def test_open_store_picks_the_backend_from_the_spec(open_store: StoreFactory, dma: DecodedBatch, monkeypatch, tmp_path: Path) -> None:
    with open_store("named") as first:
        first.append(DecodedBatch(positions=dma.positions.slice(0, 7)))
    with open_store("named") as again, store_from_spec(open_store.spec("named")) as via_spec:
        assert type(via_spec) is type(again)
        assert via_spec.stats()["rows"]["positions"] == 7
        alerts = alert_store_for(via_spec)
        assert alerts.list_alerts() == [] and alerts.store is via_spec
    monkeypatch.setenv("SEAWARDEN_HOME", str(tmp_path / "home"))
    with store_from_spec(None) as default:
        assert isinstance(default, DuckDBStore) and default.stats()["path"] == str(tmp_path / "home" / "seawarden.duckdb")


def test_open_store_refuses_a_bad_schema_name_in_the_spec() -> None:
    with pytest.raises(ValueError, match="schema name"):
        store_from_spec(pg_dsn() + "#Not-An-Identifier")


def test_revision_file_names_agree_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(pg_migrations.config(None, "public"))
    assert pg_migrations.head() == scripts.get_current_head()
    assert pg_migrations.known_revisions() == {s.revision for s in scripts.walk_revisions()}
