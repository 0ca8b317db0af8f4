"""Detector event log, alerts and their append-only history (the DuckDB store's step 2).

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-21

Events are upserted on their stable event_id, alerts on alert_id; alert_history's primary key
(alert_id, seq) is what makes two processes unable to record the same step twice.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE events (
        event_id     text        PRIMARY KEY,
        type         text        NOT NULL,
        subtype      text        NOT NULL,
        mmsi         bigint      NOT NULL,
        related_mmsi bigint,
        asset_id     text,
        asset_name   text,
        start_ms     bigint      NOT NULL,
        end_ms       bigint,
        detected_ms  bigint      NOT NULL,
        lat          double precision,
        lon          double precision,
        severity     smallint    NOT NULL,
        status       text        NOT NULL,
        alert_id     text,
        recorded_at  timestamptz NOT NULL,
        payload      text        NOT NULL  -- the Event as JSON (evidence, config)
    );
    CREATE INDEX events_alert_id ON events (alert_id);
    CREATE INDEX events_mmsi ON events (mmsi);

    CREATE TABLE alerts (
        alert_id       text        PRIMARY KEY,
        kind           text        NOT NULL,
        mmsi           bigint      NOT NULL,
        asset_id       text,
        asset_name     text,
        status         text        NOT NULL,
        severity       smallint    NOT NULL,
        title          text        NOT NULL,
        first_event_ms bigint      NOT NULL,
        last_event_ms  bigint      NOT NULL,
        lat            double precision,
        lon            double precision,
        created_at     timestamptz NOT NULL,
        updated_at     timestamptz NOT NULL,
        status_by      text,
        status_at      timestamptz,
        status_reason  text
    );
    CREATE INDEX alerts_mmsi ON alerts (mmsi);

    CREATE TABLE alert_history (
        alert_id     text        NOT NULL,
        seq          integer     NOT NULL,
        happened_at  timestamptz NOT NULL,
        action       text        NOT NULL,
        from_status  text,
        to_status    text        NOT NULL,
        by_whom      text,
        reason       text,
        severity     smallint    NOT NULL,
        event_id     text,
        PRIMARY KEY (alert_id, seq)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE alert_history; DROP TABLE alerts; DROP TABLE events;")
