"""Store files over time: migrations, idempotent ingest, bad input, concurrency, default location."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import (
    DuckDBStore,
    Store,
    StoreInputError,
    StoreVersionError,
    default_store_path,
    file_fingerprint,
)
from seawarden.store import migrations
from seawarden.store.duckdb_store import _TABLES
from store_backends import StoreFactory

UTC = timezone.utc
T0 = datetime(2013, 11, 12, 12, tzinfo=UTC)


def split(batch: DecodedBatch, n: int) -> Iterator[DecodedBatch]:
    """The batch cut into n slices, as a source would yield them."""
    step = -(-batch.positions.num_rows // n)
    for i in range(n):
        yield DecodedBatch(
            positions=batch.positions.slice(i * step, step),
            static=batch.static if i == 0 else schema.empty(schema.STATIC),
            other=batch.other if i == 0 else schema.empty(schema.OTHER),
        )


# -- migrations ----------------------------------------------------------------------------------
def test_empty_file_is_migrated_to_latest_and_types_mirror_contracts(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "store.duckdb"
    with DuckDBStore(path) as store:
        assert isinstance(store, Store)
        assert store.stats()["schema_version"] == migrations.LATEST_VERSION
        for _, table, contract in _TABLES:
            got = store._con.sql(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema
            # DuckDB keeps microseconds; everything else is the contract type exactly
            want = [pa.timestamp("us", tz="UTC") if f.type == schema.TS else f.type for f in contract]
            assert [f.name for f in got] == contract.names
            assert [f.type for f in got] == want, table
    with DuckDBStore(path) as store:  # reopening applies nothing twice
        versions = store._con.execute("SELECT version FROM schema_version").fetchall()
        assert versions == [(m.version,) for m in migrations.MIGRATIONS]


def test_newer_file_and_stale_read_only_open_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as store:
        store._con.execute("INSERT INTO schema_version (version, description) VALUES (999, 'from the future')")
    with pytest.raises(StoreVersionError, match="999 is newer"):
        DuckDBStore(path)
    with pytest.raises(StoreVersionError, match="999"):
        DuckDBStore(path, read_only=True)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(StoreVersionError, match="open it once for writing"):
        DuckDBStore(empty, read_only=True)
    with pytest.raises(FileNotFoundError, match="cannot create"):
        DuckDBStore(tmp_path / "missing.duckdb", read_only=True)


def _version_2_store(path: Path) -> None:
    """A store file as seawarden wrote it before the alert log had a file of its own: one alert with one event."""
    con = duckdb.connect(str(path))
    migrations.migrate(con, where="v2", steps=migrations.MIGRATIONS[:2])
    con.execute("INSERT INTO events VALUES ('ev-1', 'anchor_drag', '', 230990001, NULL, 'a1', 'Estlink 2', 1000, 2000, "
                "2100, 59.9, 25.0, 5, 'closed', 'al-1', now(), '{\"event_id\": \"ev-1\"}')")
    con.execute("INSERT INTO alerts VALUES ('al-1', 'seabed_threat', 230990001, 'a1', 'Estlink 2', 'acknowledged', 5, "
                "'anchor_drag: MMSI 230990001 at Estlink 2', 1000, 2000, 59.9, 25.0, now(), now(), 'duty officer', now(), NULL)")
    con.execute("INSERT INTO alert_history VALUES ('al-1', 1, now(), 'opened', NULL, 'open', NULL, NULL, 5, 'ev-1'), "
                "('al-1', 2, now(), 'acknowledged', 'open', 'acknowledged', 'duty officer', NULL, 5, NULL)")
    con.close()


def _tables(store: DuckDBStore) -> set[str]:
    return {r[0] for r in store._con.execute("SELECT table_name FROM information_schema.tables "
                                             "WHERE table_catalog = current_database()").fetchall()}


def test_version_2_file_moves_its_events_and_alerts_to_the_alert_log(tmp_path: Path) -> None:
    from seawarden.store import alert_store_for
    from seawarden.store.duckdb_store import alert_log_path

    path = tmp_path / "old.duckdb"
    _version_2_store(path)
    with pytest.raises(StoreVersionError, match="version 2, this seawarden needs 3; open it once for writing"):
        DuckDBStore(path, read_only=True)
    for _ in range(2):  # the second open applies nothing again
        with DuckDBStore(path) as store:
            assert store.stats()["schema_version"] == migrations.LATEST_VERSION
            assert not {"events", "alerts", "alert_history"} & _tables(store)  # gone from the archive file
            alerts = alert_store_for(store)
            alert = alerts.get("al-1")
            assert alert is not None and alert.status == "acknowledged" and alert.event_ids == ["ev-1"]
            assert [t.action for t in alerts.history("al-1")] == ["opened", "acknowledged"]
            assert alerts.event_payload("ev-1") == {"event_id": "ev-1"}
    assert alert_log_path(path) == tmp_path / "old.alerts.duckdb" and alert_log_path(path).exists()
    with DuckDBStore(path, read_only=True) as store:
        assert alert_store_for(store).alert_counts() == {"acknowledged": 1}


def test_interrupted_move_is_finished_and_a_foreign_alert_log_refused(tmp_path: Path) -> None:
    from seawarden.store import alert_store_for

    path = tmp_path / "old.duckdb"
    _version_2_store(path)
    con = duckdb.connect(str(path))  # the copy went through, the drop did not (a crash between the two)
    con.execute(f"ATTACH '{tmp_path / 'old.alerts.duckdb'}' AS {migrations.ALERT_LOG}")
    log_con = con.cursor()
    log_con.execute(f"USE {migrations.ALERT_LOG}")
    migrations.migrate(log_con, where="log", steps=migrations.ALERT_LOG_MIGRATIONS)
    log_con.close()
    migrations.MIGRATIONS[2].before(con, "test")
    con.close()
    with DuckDBStore(path) as store:
        assert alert_store_for(store).alert_counts() == {"acknowledged": 1}  # once, not twice

    other = tmp_path / "other.duckdb"  # a version-2 store with another store's (already paired) alert log beside it
    _version_2_store(other)
    shutil.copyfile(tmp_path / "old.alerts.duckdb", tmp_path / "other.alerts.duckdb")
    with pytest.raises(StoreVersionError, match="belongs to another store"):
        DuckDBStore(other)
    con = duckdb.connect(str(other))
    assert con.execute("SELECT count(*) FROM alerts").fetchall() == [(1,)]  # nothing dropped from the archive
    con.close()
    (tmp_path / "other.alerts.duckdb").unlink()
    con = duckdb.connect(str(other))  # an unpaired alert log holding other rows than the archive's
    con.execute(f"ATTACH '{tmp_path / 'other.alerts.duckdb'}' AS {migrations.ALERT_LOG}")
    log_con = con.cursor()
    log_con.execute(f"USE {migrations.ALERT_LOG}")
    migrations.migrate(log_con, where="log", steps=migrations.ALERT_LOG_MIGRATIONS)
    log_con.execute("INSERT INTO alerts SELECT * REPLACE ('al-9' AS alert_id) FROM other.alerts")
    log_con.close()
    con.close()
    with pytest.raises(StoreVersionError, match="already holds other rows"):
        DuckDBStore(other)


def test_alert_log_of_another_store_is_refused(tmp_path: Path) -> None:
    for name in ("a", "b"):
        DuckDBStore(tmp_path / f"{name}.duckdb").close()
    shutil.copyfile(tmp_path / "b.alerts.duckdb", tmp_path / "a.alerts.duckdb")
    for read_only in (False, True):
        with pytest.raises(StoreVersionError, match="a.alerts.duckdb.*belongs to another store"):
            DuckDBStore(tmp_path / "a.duckdb", read_only=read_only)


def test_missing_alert_log_is_said(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from seawarden.store import alert_store_for

    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as store:
        assert alert_store_for(store).alert_counts() == {}
    (tmp_path / "s.alerts.duckdb").unlink()
    with pytest.raises(FileNotFoundError, match="s.alerts.duckdb.*no such file.*restore it"):
        DuckDBStore(path, read_only=True)
    with DuckDBStore(path) as store:  # writable: a new, empty one, with a warning
        assert alert_store_for(store).alert_counts() == {}
    assert "new, empty alert log is created" in caplog.text


def test_a_file_that_is_not_a_store_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "junk.duckdb").write_bytes(b"not a database " * 100)
    with pytest.raises(StoreInputError, match="junk.duckdb.*not a valid DuckDB database file"):
        DuckDBStore(tmp_path / "junk.duckdb")
    DuckDBStore(tmp_path / "s.duckdb").close()
    (tmp_path / "s.alerts.duckdb").write_bytes(b"not a database " * 100)
    for read_only in (False, True):
        with pytest.raises(StoreInputError, match="alert log .*s.alerts.duckdb.*not a valid DuckDB database file"):
            DuckDBStore(tmp_path / "s.duckdb", read_only=read_only)


def test_alert_commits_are_not_part_of_the_archive_transaction(dma: DecodedBatch, tmp_path: Path) -> None:
    """An alert raised during an ingest stays when that ingest fails (its AIS is rolled back)."""
    from seawarden.alert.model import Alert, Transition, utc_now
    from seawarden.store import alert_store_for

    now = utc_now()
    alert = Alert("al-1", "seabed_threat", 230990001, "a1", "Estlink 2", "open", 5, "t", 1000, 2000, 59.9, 25.0, now, now)
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        alerts = alert_store_for(store)

        def batches() -> Iterator[DecodedBatch]:
            yield from split(dma, 2)
            alerts.commit([], [alert], [Transition("al-1", 1, now, "opened", None, "open", 5)])
            raise OSError("feed lost")

        with pytest.raises(OSError, match="feed lost"):
            store.ingest(batches(), fingerprint="fp", origin="tcp://x")
        assert store.stats()["rows"]["positions"] == 0
        assert alerts.get("al-1") is not None and len(alerts.history("al-1")) == 1


# -- idempotent ingest ---------------------------------------------------------------------------
def test_fingerprint_is_content_identity(shared_data: Path, tmp_path: Path) -> None:
    small = shared_data / "ais_dma_decoded" / "aisabnormal_2013-11-12_positions.parquet"  # < 2 MiB: whole file
    big = shared_data / "ais_noaa_marinecadastre" / "US_coastal_2020-06-30_trajectories.parquet"  # > 2 MiB: ends
    for original in (small, big):
        copy = tmp_path / f"renamed-{original.name}"
        shutil.copyfile(original, copy)
        os.utime(copy, (0, 0))
        assert file_fingerprint(copy) == file_fingerprint(original)
        data = bytearray(copy.read_bytes())
        data[len(data) // 2 if original is small else -10] ^= 0xFF
        copy.write_bytes(bytes(data))
        assert file_fingerprint(copy) != file_fingerprint(original)
    assert file_fingerprint(small) != file_fingerprint(big)


def test_reingesting_the_same_file_adds_nothing(shared_data: Path, dma: DecodedBatch, open_store: StoreFactory) -> None:
    source_file = shared_data / "ais_dma_decoded" / "aisabnormal_2013-11-12_positions.parquet"
    fingerprint = file_fingerprint(source_file)
    with open_store("s") as store:
        assert not store.has_ingested(fingerprint)
        assert store.ingest(split(dma, 4), fingerprint=fingerprint, origin=str(source_file))
        first = store.stats()["rows"]
        assert store.has_ingested(fingerprint)
    with open_store("s") as store:  # a later run, after a restart
        consumed = []

        def batches() -> Iterator[DecodedBatch]:
            consumed.append(True)
            yield dma

        assert not store.ingest(batches(), fingerprint=fingerprint, origin="again")
        assert not consumed  # the source is not even read
        assert store.stats()["rows"] == first == {
            "positions": dma.positions.num_rows, "static_reports": dma.static.num_rows, "other_messages": dma.other.num_rows}
        (record,) = store.ingested_files().to_pylist()
        assert record["origin"] == str(source_file) and '"positions": %d' % dma.positions.num_rows in record["stats"]


def test_failed_ingest_leaves_nothing_behind(dma: DecodedBatch, open_store: StoreFactory) -> None:
    def broken() -> Iterator[DecodedBatch]:
        yield from split(dma, 3)
        raise OSError("connection reset in the middle of the file")

    with open_store() as store:
        with pytest.raises(OSError, match="connection reset"):
            store.ingest(broken(), fingerprint="fp", origin="tcp://x")
        assert not store.has_ingested("fp")
        assert store.stats()["rows"] == {"positions": 0, "static_reports": 0, "other_messages": 0}
        assert store.ingest(split(dma, 3), fingerprint="fp", origin="tcp://x")  # a retry works
        assert store.stats()["rows"]["positions"] == dma.positions.num_rows


# -- bad input -----------------------------------------------------------------------------------
def bad_positions(dma: DecodedBatch) -> dict[str, tuple[pa.Table, str]]:
    p = dma.positions.slice(0, 100)
    return {
        "missing": (p.drop_columns(["sog"]), "missing column 'sog'"),
        "extra": (p.append_column("speed", p["sog"]), "unexpected column 'speed'"),
        "type": (p.set_column(0, "mmsi", pc.cast(p["mmsi"], pa.int64())), "column 'mmsi' is int64, the contract says uint32"),
        "naive time": (p.set_column(1, "ts", pc.cast(p["ts"], pa.timestamp("ms"))), "column 'ts' is timestamp[ms]"),
        "null mmsi": (p.set_column(0, "mmsi", pa.array([None] * 100, pa.uint32())), "'mmsi' is required but has 100 null"),
    }


@pytest.mark.parametrize("case", ["missing", "extra", "type", "naive time", "null mmsi"])
def test_wrong_schema_is_refused_clearly_and_atomically(dma: DecodedBatch, case: str, open_store: StoreFactory) -> None:
    table, message = bad_positions(dma)[case]
    with open_store() as store:
        with pytest.raises(StoreInputError, match="positions table does not match") as err:
            store.append(DecodedBatch(positions=table, static=dma.static))
        assert message in str(err.value)
        assert store.stats()["rows"]["static_reports"] == 0  # the good part of the batch was not written either


def test_bad_query_arguments(loaded: Store) -> None:
    naive = datetime(2013, 11, 12, 12)
    with pytest.raises(StoreInputError, match="naive"):
        loaded.track(219000000, naive, T0)
    with pytest.raises(StoreInputError, match="before t0"):
        loaded.positions_between(T0, T0 - timedelta(hours=1))
    with pytest.raises(StoreInputError, match="MMSI"):
        loaded.track(-5, T0, T0)
    with pytest.raises(StoreInputError, match="lat_max=95"):
        loaded.positions_in_box(0, 0, 1, 95, T0, T0)
    with pytest.raises(StoreInputError, match="north of"):
        loaded.positions_in_box(0, 10, 1, 5, T0, T0)
    with pytest.raises(StoreInputError, match="ends before it starts"):
        loaded.tracks([219000000], [T0], [T0 - timedelta(seconds=1)])
    with pytest.raises(StoreInputError, match="one of each per window"):
        loaded.tracks([219000000, 1], [T0], [T0])
    with pytest.raises(StoreInputError, match="naive"):
        loaded.tracks([219000000], [naive], [T0])
    with pytest.raises(StoreInputError, match="expected a pyarrow Table"):
        loaded.append(DecodedBatch(positions=[{"mmsi": 1, "ts": T0}]))  # type: ignore[arg-type]
    other_zone = T0.astimezone(timezone(timedelta(hours=1)))  # the same instant in CET: same answer
    assert loaded.track(219000000, other_zone, T0 + timedelta(hours=1)).equals(loaded.track(219000000, T0, T0 + timedelta(hours=1)))


# -- concurrency ---------------------------------------------------------------------------------
def test_writer_lock_readers_and_cursor_readers(dma: DecodedBatch, tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    probe = (
        "import sys\nfrom seawarden.store import DuckDBStore\n"
        "try:\n    DuckDBStore(sys.argv[1], read_only=sys.argv[2] == 'ro').close()\nexcept Exception as e:\n    print(e)\n"
    )
    with DuckDBStore(path) as writer:
        writer.append(DecodedBatch(positions=dma.positions.slice(0, 10)))
        out = subprocess.run([sys.executable, "-c", probe, str(path), "rw"], capture_output=True, text=True, check=True)
        assert "open for writing by another process" in out.stdout
        reader = writer.reader()  # another thread of the writing process
        writer.append(DecodedBatch(positions=dma.positions.slice(10, 10)))
        assert reader.stats()["rows"]["positions"] == 20
    with DuckDBStore(path, read_only=True) as r1, DuckDBStore(path, read_only=True) as r2:
        assert r1.stats()["rows"] == r2.stats()["rows"]
        with pytest.raises(StoreInputError, match="read_only"):
            r1.append(DecodedBatch(positions=dma.positions.slice(0, 1)))


# -- default location ----------------------------------------------------------------------------
def test_default_store_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEAWARDEN_HOME", str(tmp_path / "sw"))
    assert default_store_path() == tmp_path / "sw" / "seawarden.duckdb"
    monkeypatch.delenv("SEAWARDEN_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_path() == tmp_path / "xdg" / "seawarden" / "seawarden.duckdb"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_store_path() == tmp_path / "home" / ".local" / "share" / "seawarden" / "seawarden.duckdb"
    with DuckDBStore(default_store_path()) as store:  # parents are created on first use
        assert store.stats()["path"] == str(default_store_path())
