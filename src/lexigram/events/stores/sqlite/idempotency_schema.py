"""The SQLite tables of the idempotency store and the dead-letter store, as versioned migrations.

Each store keeps its own ledger (``<table>_schema_migrations``), like the other SQLite stores, so
they can share the event store's file or live in another one.
"""

from __future__ import annotations

from collections.abc import Sequence

from lexigram.events.stores.migrations import Migration, checked_migrations
from lexigram.events.stores.sqlite.schema import Schema

__all__ = ["DEAD_LETTER_MIGRATIONS", "IDEMPOTENCY_MIGRATIONS", "dead_letter_schema", "idempotency_schema"]

IDEMPOTENCY_MIGRATIONS: Sequence[Migration] = checked_migrations(
    [
        Migration(
            version=1,
            description="idempotency keys: claims and recorded results, with their expiry",
            statements=(
                """CREATE TABLE "{keys}" (
                    key TEXT NOT NULL PRIMARY KEY,
                    fingerprint TEXT NOT NULL,
                    status TEXT NOT NULL,
                    token TEXT NOT NULL,
                    result TEXT,
                    created_at TEXT NOT NULL,
                    expires_at REAL
                ) WITHOUT ROWID""",
                'CREATE INDEX "{keys}_by_expiry" ON "{keys}" (expires_at) WHERE expires_at IS NOT NULL',
            ),
        ),
    ]
)
"""The idempotency store's schema (``expires_at`` in Unix seconds, NULL: never)."""

DEAD_LETTER_MIGRATIONS: Sequence[Migration] = checked_migrations(
    [
        Migration(
            version=1,
            description="dead letters: serialized events a handler failed on for good",
            statements=(
                """CREATE TABLE "{dead_letters}" (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    event_type TEXT NOT NULL,
                    handler_name TEXT NOT NULL,
                    error TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    created_at TEXT NOT NULL,
                    replayed INTEGER NOT NULL DEFAULT 0,
                    data BLOB NOT NULL
                )""",
                'CREATE INDEX "{dead_letters}_by_type" ON "{dead_letters}" (event_type, seq)',
            ),
        ),
    ]
)
"""The dead-letter store's schema; ``seq`` keeps entries oldest first."""


def idempotency_schema(table: str) -> Schema:
    """The idempotency store's schema for a configured ``idempotency_table``."""
    return Schema(f"{table}_schema_migrations", IDEMPOTENCY_MIGRATIONS, {"keys": table})


def dead_letter_schema(table: str) -> Schema:
    """The dead-letter store's schema for a configured ``dead_letters_table``."""
    return Schema(f"{table}_schema_migrations", DEAD_LETTER_MIGRATIONS, {"dead_letters": table})
