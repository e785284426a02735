"""The PostgreSQL schema of the stores: table names and versioned migrations.

The event store owns three tables, named after ``events_table`` (``E`` below):

- ``E``: one row per event. ``position`` (primary key) is the global position (its low 20 bits,
  the event's index within its transaction, are never 0: ``E_ordinal_check``), ``(stream_id,
  version)`` is unique, ``stream_hash`` (CRC-32 of the stream id) serves partitioned reads,
  ``event_type`` is indexed with the position for reads by type, ``payload`` is the serializer's
  JSON. The column is ``json``, not ``jsonb``: it keeps the text exactly as written (key order
  included, so dicts come back in their order), costs less to write and to read, and still allows
  ``payload->>'field'`` in queries and expression indexes.
- ``E_streams``: one row per stream: its version (which compaction never lowers), the position of
  its newest event, its aggregate type and when it was created and last appended to. Appends check
  and move the version here, in the same statement that inserts the events.
- ``E_schema_migrations``: the migrations applied.

The snapshot store owns ``S`` (``snapshots_table``), keyed by ``(aggregate_id, version)``, and
``S_schema_migrations``. The checkpoint store owns ``C`` (``checkpoints_table``, one row per
projection name), ``P`` (``parked_table``, keyed by projection name and position) and
``C_schema_migrations``; projection names sort by code point (``COLLATE "C"``), as in Python and
SQLite. Names are quoted, so they keep their case and may be SQL keywords.
"""

from __future__ import annotations

from dataclasses import dataclass

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.stores.migrations import Migration, checked_migrations

__all__ = [
    "CHECKPOINT_MIGRATIONS",
    "EVENT_MIGRATIONS",
    "SNAPSHOT_MIGRATIONS",
    "CheckpointTables",
    "EventTables",
    "SnapshotTables",
    "quote",
]

_IDENTIFIER_LIMIT = 63
_LONGEST_SUFFIX = len("_schema_migrations")


def quote(name: str) -> str:
    """A validated table name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _check_length(setting: str, name: str) -> None:
    if len(name) + _LONGEST_SUFFIX > _IDENTIFIER_LIMIT:
        raise ConfigurationError(
            f"{setting}={name!r} is too long: the PostgreSQL stores derive names such as "
            f"'{name}_schema_migrations' from it, and PostgreSQL names hold 63 characters at most; "
            f"use at most {_IDENTIFIER_LIMIT - _LONGEST_SUFFIX} characters"
        )


@dataclass(frozen=True, slots=True)
class EventTables:
    """The quoted names of the event store's tables, indexes and constraints."""

    events: str
    streams: str
    migrations: str
    names: dict[str, str]

    @classmethod
    def named(cls, events_table: str, outbox_table: str | None = None) -> EventTables:
        """The names derived from ``events_table``; the outbox's (default ``<events_table>_outbox``)."""
        _check_length("events_table", events_table)
        outbox = outbox_table or f"{events_table}_outbox"
        if len(outbox) + len("_by_stream") > _IDENTIFIER_LIMIT:
            raise ConfigurationError(
                f"outbox_table={outbox!r} is too long: its index is named '{outbox}_by_stream', and "
                f"PostgreSQL names hold {_IDENTIFIER_LIMIT} characters at most"
            )
        names = {
            "outbox": quote(outbox),
            "outbox_stream_index": quote(f"{outbox}_by_stream"),
            "events": quote(events_table),
            "streams": quote(f"{events_table}_streams"),
            "migrations": quote(f"{events_table}_schema_migrations"),
            "stream_version_key": quote(f"{events_table}_stream_version_key"),
            "type_index": quote(f"{events_table}_type_position_idx"),
            "ordinal_check": quote(f"{events_table}_ordinal_check"),
        }
        return cls(names["events"], names["streams"], names["migrations"], names)


@dataclass(frozen=True, slots=True)
class SnapshotTables:
    """The quoted names of the snapshot store's tables."""

    snapshots: str
    migrations: str
    names: dict[str, str]

    @classmethod
    def named(cls, snapshots_table: str) -> SnapshotTables:
        """The names derived from ``snapshots_table``."""
        _check_length("snapshots_table", snapshots_table)
        names = {
            "snapshots": quote(snapshots_table),
            "migrations": quote(f"{snapshots_table}_schema_migrations"),
        }
        return cls(names["snapshots"], names["migrations"], names)


@dataclass(frozen=True, slots=True)
class CheckpointTables:
    """The quoted names of the checkpoint store's tables."""

    checkpoints: str
    parked: str
    migrations: str
    names: dict[str, str]

    @classmethod
    def named(cls, checkpoints_table: str, parked_table: str) -> CheckpointTables:
        """The names derived from ``checkpoints_table`` and ``parked_table``."""
        _check_length("checkpoints_table", checkpoints_table)
        _check_length("parked_table", parked_table)
        names = {
            "checkpoints": quote(checkpoints_table),
            "parked": quote(parked_table),
            "migrations": quote(f"{checkpoints_table}_schema_migrations"),
        }
        return cls(names["checkpoints"], names["parked"], names["migrations"], names)


EVENT_MIGRATIONS = checked_migrations(
    [
        Migration(
            1,
            "events and streams tables",
            (
                """
                CREATE TABLE {streams} (
                    stream_id       text        PRIMARY KEY,
                    version         bigint      NOT NULL CHECK (version >= 0),
                    last_position   bigint      NOT NULL,
                    stream_hash     bigint      NOT NULL,
                    aggregate_type  text,
                    created_at      timestamptz NOT NULL DEFAULT now(),
                    updated_at      timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE {events} (
                    position        bigint      PRIMARY KEY CHECK (position > 0),
                    stream_id       text        NOT NULL,
                    version         bigint      NOT NULL CHECK (version > 0),
                    stream_hash     bigint      NOT NULL,
                    event_type      text        NOT NULL,
                    payload         json        NOT NULL,
                    CONSTRAINT {stream_version_key} UNIQUE (stream_id, version),
                    CONSTRAINT {ordinal_check} CHECK ((position & 1048575) <> 0)
                )
                """,
                "CREATE INDEX {type_index} ON {events} (event_type, position)",
            ),
        ),
        Migration(
            2,
            "the transactional outbox: appended events waiting to be published",
            (
                """
                CREATE TABLE {outbox} (
                    position        bigint      PRIMARY KEY,
                    stream_id       text        NOT NULL,
                    attempts        integer     NOT NULL DEFAULT 0,
                    available_at    timestamptz NOT NULL DEFAULT '-infinity',
                    claimed_by      text,
                    claimed_until   timestamptz NOT NULL DEFAULT '-infinity',
                    last_error      text,
                    parked_at       timestamptz
                )
                """,
                "CREATE INDEX {outbox_stream_index} ON {outbox} (stream_id, position)",
            ),
        ),
    ]
)
"""The event store's schema, one migration per change; new versions are appended, never edited."""


SNAPSHOT_MIGRATIONS = checked_migrations(
    [
        Migration(
            1,
            "snapshots table",
            (
                """
                CREATE TABLE {snapshots} (
                    aggregate_id    text        NOT NULL,
                    version         bigint      NOT NULL CHECK (version >= 0),
                    aggregate_type  text        NOT NULL,
                    state           json        NOT NULL,
                    metadata        json        NOT NULL,
                    taken_at        timestamptz NOT NULL,
                    PRIMARY KEY (aggregate_id, version)
                )
                """,
            ),
        ),
    ]
)
"""The snapshot store's schema."""


CHECKPOINT_MIGRATIONS = checked_migrations(
    [
        Migration(
            1,
            "projection checkpoints and parked events tables",
            (
                """
                CREATE TABLE {checkpoints} (
                    projection_name text COLLATE "C" PRIMARY KEY,
                    position        bigint      NOT NULL CHECK (position >= 0),
                    updated_at      timestamptz NOT NULL,
                    state           text,
                    error           text
                )
                """,
                """
                CREATE TABLE {parked} (
                    projection_name text COLLATE "C" NOT NULL,
                    position        bigint      NOT NULL CHECK (position >= 0),
                    stream_id       text        NOT NULL,
                    version         bigint      NOT NULL CHECK (version >= 0),
                    event_type      text        NOT NULL,
                    error           text        NOT NULL,
                    attempts        bigint      NOT NULL CHECK (attempts >= 0),
                    parked_at       timestamptz NOT NULL,
                    blocked_by      bigint,
                    PRIMARY KEY (projection_name, position)
                )
                """,
            ),
        ),
    ]
)
"""The checkpoint store's schema."""
