"""AIS tables: positions (with a PostGIS point), static reports, other messages, ingested inputs.

Revision ID: 0001
Revises:
Create Date: 2026-05-21

Column meanings are those of the DuckDB store's step 1 (seawarden.store.migrations). PostgreSQL
has no unsigned integers, so each contract type gets the next wider signed type (uint32 -> bigint,
uint16 -> integer, uint8 -> smallint); the store casts back to the Arrow contract on read.

``geom`` is generated from lon/lat (never written by the store), indexed with GiST for the box
queries of the suspects pre-filter; ``(mmsi, ts)`` serves tracks; BRIN on ``ts`` serves time
windows of rows appended in arrival (~ time) order at a fraction of a B-tree's size.
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE positions (
        mmsi        bigint            NOT NULL,
        ts          timestamptz       NOT NULL,
        lat         double precision,
        lon         double precision,
        sog         real,
        cog         real,
        heading     integer,
        nav_status  smallint,
        rot         real,
        msg_type    smallint          NOT NULL,
        accuracy    boolean,
        second      smallint,
        own_ship    boolean,
        source      text,
        n_rx        integer           NOT NULL,
        geom        geometry(Point, 4326) GENERATED ALWAYS AS (
                        CASE WHEN lat IS NOT NULL AND lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END
                    ) STORED
    );
    CREATE INDEX positions_geom_gist ON positions USING gist (geom);
    CREATE INDEX positions_mmsi_ts ON positions (mmsi, ts);
    CREATE INDEX positions_ts_brin ON positions USING brin (ts);

    CREATE TABLE static_reports (
        mmsi          bigint            NOT NULL,
        ts            timestamptz       NOT NULL,
        imo           bigint,
        callsign      text,
        name          text,
        ship_type     smallint,
        to_bow        integer,
        to_stern      integer,
        to_port       smallint,
        to_starboard  smallint,
        draught       real,
        destination   text,
        eta           timestamptz,
        msg_type      smallint          NOT NULL,
        part          smallint,
        source        text,
        n_rx          integer           NOT NULL
    );
    CREATE INDEX static_reports_mmsi_ts ON static_reports (mmsi, ts);

    CREATE TABLE other_messages (
        mmsi      bigint            NOT NULL,
        ts        timestamptz       NOT NULL,
        msg_type  smallint          NOT NULL,
        lat       double precision,
        lon       double precision,
        source    text,
        payload   text              NOT NULL,
        fill      smallint          NOT NULL,
        n_rx      integer           NOT NULL
    );
    CREATE INDEX other_messages_ts_brin ON other_messages USING brin (ts);

    CREATE TABLE ingested (
        fingerprint  text        PRIMARY KEY,
        origin       text        NOT NULL,
        ingested_at  timestamptz NOT NULL,
        stats        text        NOT NULL  -- JSON of the ingest counts
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE ingested; DROP TABLE other_messages; DROP TABLE static_reports; DROP TABLE positions;")
