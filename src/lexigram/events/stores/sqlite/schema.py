"""The SQLite stores' tables, as versioned migrations, and the code that applies them.

Each store keeps its own ledger of applied versions, ``<table>_schema_migrations`` (``events_`` for
the event store, ``snapshots_`` for the snapshot store, ``projection_checkpoints_`` for the
checkpoint store), so the stores can share a file or live in different ones. Migrations run inside
one ``BEGIN IMMEDIATE`` transaction (SQLite DDL is transactional): two processes migrating the same
file at once apply each version exactly once, and a failure leaves the schema where it was.

Table and index names are quoted, so a configured name that is also an SQL keyword still works.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lexigram.events.exceptions import SchemaError
from lexigram.events.stores.migrations import Migration, checked_migrations

__all__ = [
    "CHECKPOINT_MIGRATIONS",
    "EVENT_MIGRATIONS",
    "SNAPSHOT_MIGRATIONS",
    "Schema",
    "apply_pending",
    "check_not_newer",
    "checkpoint_schema",
    "event_schema",
    "schema_version",
    "snapshot_schema",
]

EVENT_MIGRATIONS: Sequence[Migration] = checked_migrations(
    [
        Migration(
            version=1,
            description="streams (versions that survive compaction) and the global event log",
            statements=(
                """CREATE TABLE "{streams}" (
                    stream_id TEXT NOT NULL PRIMARY KEY,
                    version INTEGER NOT NULL,
                    aggregate_type TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )""",
                """CREATE TABLE "{events}" (
                    position INTEGER PRIMARY KEY AUTOINCREMENT,
                    stream_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    event_id TEXT NOT NULL,
                    event_type TEXT NOT NULL,
                    occurred_at TEXT NOT NULL,
                    stream_hash INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    UNIQUE (stream_id, version)
                )""",
                'CREATE INDEX "{events}_by_type" ON "{events}" (event_type, position)',
            ),
        ),
        Migration(
            version=2,
            description="the transactional outbox: appended events waiting to be published",
            statements=(
                """CREATE TABLE "{outbox}" (
                    position INTEGER NOT NULL PRIMARY KEY,
                    stream_id TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    available_at REAL NOT NULL DEFAULT 0,
                    claimed_by TEXT,
                    claimed_until REAL NOT NULL DEFAULT 0,
                    last_error TEXT,
                    parked_at TEXT
                )""",
                'CREATE INDEX "{outbox}_by_stream" ON "{outbox}" (stream_id, position)',
            ),
        ),
    ]
)
"""The event store's schema, oldest first. The outbox table is always created; rows are written
only by a store opened with ``outbox=True``."""

SNAPSHOT_MIGRATIONS: Sequence[Migration] = checked_migrations(
    [
        Migration(
            version=1,
            description="snapshots, one row per aggregate and version",
            statements=(
                """CREATE TABLE "{snapshots}" (
                    aggregate_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    aggregate_type TEXT NOT NULL,
                    taken_at TEXT NOT NULL,
                    format TEXT NOT NULL,
                    content BLOB NOT NULL,
                    PRIMARY KEY (aggregate_id, version)
                ) WITHOUT ROWID""",
            ),
        ),
    ]
)
"""The snapshot store's schema, oldest first."""


CHECKPOINT_MIGRATIONS: Sequence[Migration] = checked_migrations(
    [
        Migration(
            version=1,
            description="projection checkpoints and parked events",
            statements=(
                """CREATE TABLE "{checkpoints}" (
                    projection_name TEXT NOT NULL PRIMARY KEY,
                    position INTEGER NOT NULL,
                    updated_at TEXT NOT NULL,
                    state TEXT,
                    error TEXT
                ) WITHOUT ROWID""",
                """CREATE TABLE "{parked}" (
                    projection_name TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    stream_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    event_type TEXT NOT NULL,
                    error TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    parked_at TEXT NOT NULL,
                    blocked_by INTEGER,
                    PRIMARY KEY (projection_name, position)
                ) WITHOUT ROWID""",
            ),
        ),
    ]
)
"""The checkpoint store's schema, oldest first."""


@dataclass(frozen=True, slots=True)
class Schema:
    """One store's migrations, the table names they are rendered with, and the ledger table."""

    ledger: str
    migrations: Sequence[Migration]
    names: Mapping[str, str]

    @property
    def latest(self) -> int:
        """The version this code brings a database to."""
        return self.migrations[-1].version if self.migrations else 0


def event_schema(events_table: str, outbox_table: str | None = None) -> Schema:
    """The event store's schema for ``events_table`` and ``outbox_table`` (``<events_table>_outbox``)."""
    outbox = outbox_table or f"{events_table}_outbox"
    names = {"events": events_table, "streams": f"{events_table}_streams", "outbox": outbox}
    return Schema(f"{events_table}_schema_migrations", EVENT_MIGRATIONS, names)


def snapshot_schema(snapshots_table: str) -> Schema:
    """The snapshot store's schema for a configured ``snapshots_table``."""
    return Schema(f"{snapshots_table}_schema_migrations", SNAPSHOT_MIGRATIONS, {"snapshots": snapshots_table})


def checkpoint_schema(checkpoints_table: str, parked_table: str) -> Schema:
    """The checkpoint store's schema for the configured ``checkpoints_table`` and ``parked_table``."""
    names = {"checkpoints": checkpoints_table, "parked": parked_table}
    return Schema(f"{checkpoints_table}_schema_migrations", CHECKPOINT_MIGRATIONS, names)


def schema_version(connection: sqlite3.Connection, schema: Schema) -> int:
    """The highest version recorded in the schema's ledger, 0 when nothing was ever applied."""
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (schema.ledger,)
    ).fetchone()
    if exists is None:
        return 0
    row = connection.execute(f'SELECT max(version) FROM "{schema.ledger}"').fetchone()
    return int(row[0] or 0)


def check_not_newer(version: int, schema: Schema, database: str) -> None:
    """Raise ``SchemaError`` when the database was migrated by a newer lexigram-events."""
    if version > schema.latest:
        raise SchemaError(
            f"the database {database} has schema version {version} for {schema.ledger}, but this "
            f"lexigram-events only knows versions up to {schema.latest}; upgrade lexigram-events"
        )


def apply_pending(connection: sqlite3.Connection, schema: Schema, database: str) -> list[int]:
    """Apply the migrations the database lacks; return their versions. Call inside a write transaction."""
    connection.execute(
        f'CREATE TABLE IF NOT EXISTS "{schema.ledger}" ('
        "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    current = schema_version(connection, schema)
    check_not_newer(current, schema, database)
    applied: list[int] = []
    for migration in schema.migrations:
        if migration.version <= current:
            continue
        for statement in migration.render(**schema.names):
            try:
                connection.execute(statement)
            except sqlite3.OperationalError as exc:
                if "already exists" not in str(exc):
                    raise
                raise SchemaError(
                    f"migration {migration.version} ({migration.description}) cannot run on {database}: "
                    f"{exc}. A table with that name exists but was not created by this store; choose "
                    "other table names in the sqlite config (events_table, snapshots_table, "
                    "checkpoints_table, parked_table, outbox_table, ...)"
                ) from exc
        connection.execute(
            f'INSERT INTO "{schema.ledger}" (version, description, applied_at) VALUES (?, ?, ?)',
            (migration.version, migration.description, datetime.now(UTC).isoformat()),
        )
        applied.append(migration.version)
    return applied
