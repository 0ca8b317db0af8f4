"""All DDL of the embedded store, as ordered, frozen migration steps.

A step is never edited once released: a schema change is a new step appended to
:data:`MIGRATIONS`. ``schema_version`` records which steps a file has, so an old store file
is upgraded in place when a newer seawarden opens it for writing. (The PostGIS store of a
later issue keeps its own Alembic history; the column names and meanings are the same.)

No index and no re-sort on purpose: appended in arrival (≈ time) order, DuckDB's per-row-group
min/max on ``ts`` already prune time windows, and a one-vessel track is a fast scan of the
``mmsi`` column. bench/store.py measured an ART index on mmsi (0.6-0.7x append speed, 2.5x
file size, no query gain) and a periodic (day, mmsi, ts) re-sort (faster multi-day tracks,
slower box queries, file growth) and found neither worth it.

Column types mirror the Arrow contracts of :mod:`seawarden.schema` one to one (UTINYINT for
uint8, TIMESTAMPTZ for UTC timestamps, ...) so that a table read back equals what went in.

A store is two files: the AIS archive (:data:`MIGRATIONS`) and, beside it, the alert log
(:data:`ALERT_LOG_MIGRATIONS`: detector events, alerts, their history), attached to the same
connection as :data:`ALERT_LOG`. Why two: DuckDB checkpoints a file when its write-ahead log
passes 16 MB, and no commit to that file goes through meanwhile (150-200 ms at 20 k AIS
messages/s, every ~13 s); an alert waiting behind the archive's checkpoint reached the operator
that much later. Each file checkpoints alone, so alert commits never wait for the archive's.
Each file keeps its own ``schema_version``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

#: the name the alert log file is attached under (unlikely to be a store file's own stem, which names its catalog)
ALERT_LOG = "seawarden_alert_log"
#: the archive's version from which its events and alerts live in the alert log file
ALERT_LOG_SINCE = 3


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str
    #: work in other transactions before ``sql`` (DuckDB writes one attached file per transaction)
    before: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None


_POSITIONS = """
CREATE TABLE positions (
    mmsi        UINTEGER    NOT NULL,
    ts          TIMESTAMPTZ NOT NULL,
    lat         DOUBLE,
    lon         DOUBLE,
    sog         FLOAT,
    cog         FLOAT,
    heading     USMALLINT,
    nav_status  UTINYINT,
    rot         FLOAT,
    msg_type    UTINYINT    NOT NULL,
    accuracy    BOOLEAN,
    second      UTINYINT,
    own_ship    BOOLEAN,
    source      VARCHAR,
    n_rx        USMALLINT   NOT NULL
);
"""

_STATIC = """
CREATE TABLE static_reports (
    mmsi          UINTEGER    NOT NULL,
    ts            TIMESTAMPTZ NOT NULL,
    imo           UINTEGER,
    callsign      VARCHAR,
    name          VARCHAR,
    ship_type     UTINYINT,
    to_bow        USMALLINT,
    to_stern      USMALLINT,
    to_port       UTINYINT,
    to_starboard  UTINYINT,
    draught       FLOAT,
    destination   VARCHAR,
    eta           TIMESTAMPTZ,
    msg_type      UTINYINT    NOT NULL,
    part          UTINYINT,
    source        VARCHAR,
    n_rx          USMALLINT   NOT NULL
);
"""

_OTHER = """
CREATE TABLE other_messages (
    mmsi      UINTEGER    NOT NULL,
    ts        TIMESTAMPTZ NOT NULL,
    msg_type  UTINYINT    NOT NULL,
    lat       DOUBLE,
    lon       DOUBLE,
    source    VARCHAR,
    payload   VARCHAR     NOT NULL,
    fill      UTINYINT    NOT NULL,
    n_rx      USMALLINT   NOT NULL
);
"""

_INGESTED = """
CREATE TABLE ingested (
    fingerprint  VARCHAR     PRIMARY KEY,
    origin       VARCHAR     NOT NULL,
    ingested_at  TIMESTAMPTZ NOT NULL,
    stats        VARCHAR     NOT NULL  -- JSON of the ingest counts
);
"""

# Step 2: the detector event log and alerts (seawarden.alert). Events are upserted on their
# stable event_id (open -> closed keeps the id), which is what makes re-running an input
# idempotent; alert_history is append-only (who did what when, and every escalation).
_EVENTS = """
CREATE TABLE events (
    event_id     VARCHAR     PRIMARY KEY,
    type         VARCHAR     NOT NULL,
    subtype      VARCHAR     NOT NULL,
    mmsi         UINTEGER    NOT NULL,
    related_mmsi UINTEGER,
    asset_id     VARCHAR,
    asset_name   VARCHAR,
    start_ms     BIGINT      NOT NULL,
    end_ms       BIGINT,
    detected_ms  BIGINT      NOT NULL,
    lat          DOUBLE,
    lon          DOUBLE,
    severity     UTINYINT    NOT NULL,
    status       VARCHAR     NOT NULL,
    alert_id     VARCHAR,
    recorded_at  TIMESTAMPTZ NOT NULL,
    payload      VARCHAR     NOT NULL  -- the Event as JSON (evidence, config)
);
"""

_ALERTS = """
CREATE TABLE alerts (
    alert_id       VARCHAR     PRIMARY KEY,
    kind           VARCHAR     NOT NULL,
    mmsi           UINTEGER    NOT NULL,
    asset_id       VARCHAR,
    asset_name     VARCHAR,
    status         VARCHAR     NOT NULL,
    severity       UTINYINT    NOT NULL,
    title          VARCHAR     NOT NULL,
    first_event_ms BIGINT      NOT NULL,
    last_event_ms  BIGINT      NOT NULL,
    lat            DOUBLE,
    lon            DOUBLE,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    status_by      VARCHAR,
    status_at      TIMESTAMPTZ,
    status_reason  VARCHAR
);
CREATE TABLE alert_history (
    alert_id     VARCHAR     NOT NULL,
    seq          INTEGER     NOT NULL,
    happened_at  TIMESTAMPTZ NOT NULL,
    action       VARCHAR     NOT NULL,
    from_status  VARCHAR,
    to_status    VARCHAR     NOT NULL,
    by_whom      VARCHAR,
    reason       VARCHAR,
    severity     UTINYINT    NOT NULL,
    event_id     VARCHAR,
    PRIMARY KEY (alert_id, seq)
);
"""

_ALERT_TABLES = ("events", "alerts", "alert_history")


def _copy_alerts_to_log(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Step 3's first half: the archive's events and alerts into the (migrated, attached) alert log, in one transaction.

    A copy that already went through (the step was interrupted before its drop) is recognised by equal row
    counts and not repeated; an alert log holding other rows, or paired with another store, is refused rather
    than mixed with these.
    """
    owner = con.execute(f"SELECT store_id FROM {ALERT_LOG}.archive_identity").fetchall()
    if owner:  # an archive before this step has no identity yet: a paired alert log is another store's
        raise StoreVersionError(f"{where}: the alert log beside it belongs to another store ({owner[0][0]}); move it "
                                "away, and this store's events and alerts are moved into a new one")
    count = lambda table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: E731
    here = [count(t) for t in _ALERT_TABLES]
    there = [count(f"{ALERT_LOG}.{t}") for t in _ALERT_TABLES]
    if there == here:
        return
    if any(there):
        raise StoreVersionError(f"{where}: moving events and alerts to the alert log, which already holds other rows "
                                f"({dict(zip(_ALERT_TABLES, there))}); is it another store's alert log?")
    with _transaction(con):
        for table in _ALERT_TABLES:
            con.execute(f"INSERT INTO {ALERT_LOG}.{table} SELECT * FROM {table}")


#: Ordered steps of the AIS archive file; a file at version N has had steps 1..N applied.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "positions, static, other messages, ingested files", _POSITIONS + _STATIC + _OTHER + _INGESTED),
    Migration(2, "detector event log, alerts and their history", _EVENTS + _ALERTS),
    Migration(ALERT_LOG_SINCE, "events and alerts moved to the alert log file; the store's identity", "DROP TABLE alert_history; "
              "DROP TABLE alerts; DROP TABLE events; CREATE TABLE store_identity (store_id VARCHAR NOT NULL); "
              "INSERT INTO store_identity VALUES (uuid()::VARCHAR);", before=_copy_alerts_to_log),
)

#: Ordered steps of the alert log file (its own numbering). ``archive_identity`` names the archive it belongs to
#: (set when first paired), so an alert log of another store is never read or written as this one's.
ALERT_LOG_MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "detector event log, alerts and their history; the archive it belongs to",
              _EVENTS + _ALERTS + "CREATE TABLE archive_identity (store_id VARCHAR NOT NULL);"),
)


def pair(archive: duckdb.DuckDBPyConnection, alert_log: duckdb.DuckDBPyConnection, *, where: str, write: bool) -> None:
    """Check the alert log belongs to this archive; an unpaired one (new) is paired when ``write``."""
    (store_id,) = archive.execute("SELECT store_id FROM store_identity").fetchall()[0]
    owner = alert_log.execute("SELECT store_id FROM archive_identity").fetchall()
    if not owner:
        if write:
            alert_log.execute("INSERT INTO archive_identity VALUES (?)", [store_id])
        return
    if owner[0][0] != store_id:
        raise StoreVersionError(f"{where} belongs to another store ({owner[0][0]}, this store is {store_id}): put this "
                                "store's own alert log beside it, or move the other one away to start an empty one")

LATEST_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version      INTEGER     PRIMARY KEY,
    description  VARCHAR     NOT NULL,
    applied_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""


class StoreVersionError(RuntimeError):
    """The store file was written by a newer seawarden, or needs an upgrade it cannot get (read-only)."""


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """Schema version of the connection's current database (the archive, or the alert log on its cursor); 0 if empty."""
    has_table = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version' AND table_schema = 'main' "
        "AND table_catalog = current_database()"
    ).fetchall()
    if not has_table[0][0]:
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0])


def migrate(con: duckdb.DuckDBPyConnection, *, where: str, steps: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply every pending step, each in its own transaction; return the resulting version."""
    version, latest = current_version(con), steps[-1].version
    if version > latest:
        raise StoreVersionError(
            f"{where}: store schema version {version} is newer than this seawarden understands ({latest}); upgrade seawarden"
        )
    for step in steps:
        if step.version <= version:
            continue
        if step.before is not None:
            step.before(con, where)
        with _transaction(con):
            con.execute(_VERSION_TABLE)
            con.execute(step.sql)
            con.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [step.version, step.description])
        version = step.version
    return version


def require_current(con: duckdb.DuckDBPyConnection, *, where: str, steps: tuple[Migration, ...] = MIGRATIONS) -> None:
    """For read-only opens, which cannot migrate: fail clearly when the file is not at the latest version."""
    version, latest = current_version(con), steps[-1].version
    if version != latest:
        hint = "open it once for writing to upgrade it" if version < latest else "upgrade seawarden"
        raise StoreVersionError(f"{where}: store schema version {version}, this seawarden needs {latest}; {hint}")
