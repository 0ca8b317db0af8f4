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
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


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

#: Ordered steps; a file at version N has had steps 1..N applied.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "positions, static, other messages, ingested files", _POSITIONS + _STATIC + _OTHER + _INGESTED),
    Migration(2, "detector event log, alerts and their history", _EVENTS + _ALERTS),
)

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
    """Schema version of an open database; 0 for an empty file."""
    has_table = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version' AND table_schema = 'main'"
    ).fetchall()
    if not has_table[0][0]:
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0])


def migrate(con: duckdb.DuckDBPyConnection, *, where: str) -> int:
    """Apply every pending step, each in its own transaction; return the resulting version."""
    version = current_version(con)
    if version > LATEST_VERSION:
        raise StoreVersionError(
            f"{where}: store schema version {version} is newer than this seawarden understands ({LATEST_VERSION}); upgrade seawarden"
        )
    for step in MIGRATIONS:
        if step.version <= version:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(_VERSION_TABLE)
            con.execute(step.sql)
            con.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [step.version, step.description])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        version = step.version
    return version


def require_current(con: duckdb.DuckDBPyConnection, *, where: str) -> None:
    """For read-only opens, which cannot migrate: fail clearly when the file is not at the latest version."""
    version = current_version(con)
    if version != LATEST_VERSION:
        hint = "open it once for writing to upgrade it" if version < LATEST_VERSION else "upgrade seawarden"
        raise StoreVersionError(f"{where}: store schema version {version}, this seawarden needs {LATEST_VERSION}; {hint}")
