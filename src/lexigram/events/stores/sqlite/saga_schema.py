"""The SQLite saga store's table, as versioned migrations with their own ledger.

One table, ``sagas_table`` (``S`` below), one row per saga instance: ``version`` is checked and
raised by every save (optimistic concurrency), ``(saga_type, correlation_key)`` is unique for
event-driven instances, and an index on ``status`` serves ``list_incomplete``. The ledger is
``S_schema_migrations``, so the saga table can share a file with the event store or live alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from lexigram.events.stores.migrations import Migration, checked_migrations
from lexigram.events.stores.sqlite.schema import Schema

__all__ = ["SAGA_MIGRATIONS", "saga_schema"]

SAGA_MIGRATIONS: Sequence[Migration] = checked_migrations(
    [
        Migration(
            version=1,
            description="saga instances with their state, data and steps",
            statements=(
                """CREATE TABLE "{sagas}" (
                    saga_id TEXT NOT NULL PRIMARY KEY,
                    saga_type TEXT NOT NULL,
                    status TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    correlation_key TEXT,
                    data TEXT NOT NULL,
                    steps TEXT NOT NULL,
                    error TEXT,
                    timed_out INTEGER NOT NULL,
                    owner TEXT,
                    lease_expires_at TEXT,
                    deadline TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                ) WITHOUT ROWID""",
                'CREATE UNIQUE INDEX "{sagas}_by_correlation" ON "{sagas}" (saga_type, correlation_key) '
                "WHERE correlation_key IS NOT NULL",
                'CREATE INDEX "{sagas}_by_status" ON "{sagas}" (status, created_at)',
            ),
        ),
    ]
)
"""The saga store's schema, oldest first."""


def saga_schema(sagas_table: str) -> Schema:
    """The saga store's schema for a configured ``sagas_table``."""
    return Schema(f"{sagas_table}_schema_migrations", SAGA_MIGRATIONS, {"sagas": sagas_table})
