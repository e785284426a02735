"""``SqliteSubjectKeyStore``: the wrapped data keys of data subjects in a SQLite database.

One row per (key alias, subject) in ``table`` (``subject_keys`` by default), created by the
store's own migrations (ledger ``<table>_schema_migrations``), so it can share the event store's
file. ``forget`` overwrites the key with NULL under ``PRAGMA secure_delete`` and then truncates the
write-ahead log, so the destroyed key's bytes leave the database files.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lexigram.contracts.events.keys import SubjectKey
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import SqliteConfig
from lexigram.events.stores.migrations import Migration, checked_migrations
from lexigram.events.stores.sqlite.database import SqliteDatabase
from lexigram.events.stores.sqlite.lifecycle import SqliteStoreLifecycle
from lexigram.events.stores.sqlite.schema import Schema
from lexigram.events.stores.subject_key_checks import checked_pair, checked_table, checked_wrapped_key

if TYPE_CHECKING:
    from lexigram.contracts.events.keys import SubjectKeyStoreProtocol

__all__ = ["SUBJECT_KEY_MIGRATIONS", "SqliteSubjectKeyStore"]

SUBJECT_KEY_MIGRATIONS: Sequence[Migration] = checked_migrations(
    [
        Migration(
            version=1,
            description="wrapped data keys of data subjects, with tombstones of forgotten ones",
            statements=(
                """CREATE TABLE "{keys}" (
                    alias TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    wrapped_key BLOB,
                    created_at TEXT NOT NULL,
                    forgotten_at TEXT,
                    PRIMARY KEY (alias, subject)
                ) WITHOUT ROWID""",
            ),
        ),
    ]
)
"""The subject-key store's schema, oldest first."""

_COLUMNS = "alias, subject, wrapped_key, created_at, forgotten_at"


class SqliteSubjectKeyStore(SqliteStoreLifecycle):
    """Subject data keys (wrapped by their alias's master key) in a SQLite database file.

    Example::

        keys = SqliteSubjectKeyStore(SqliteConfig(database="events.db"))
        serializer = EncryptedEventSerializer(master_keys, subject_keys=keys)

    ``connect()`` opens the connection and, with ``auto_create_tables``, creates or upgrades the
    table; the first operation connects too. No call blocks the event loop.
    """

    def __init__(self, config: SqliteConfig | None = None, *, table: str = "subject_keys") -> None:
        if config is not None and not isinstance(config, SqliteConfig):
            raise ConfigurationError(f"config must be a SqliteConfig, got {type(config).__name__}")
        self.config = config if config is not None else SqliteConfig()
        self.table = checked_table(table)
        schema = Schema(f"{table}_schema_migrations", SUBJECT_KEY_MIGRATIONS, {"keys": table})
        self._db = SqliteDatabase(self.config, schema, "subject-key store")
        quoted = f'"{table}"'
        self._get = f"SELECT {_COLUMNS} FROM {quoted} WHERE alias = ? AND subject = ?"
        self._insert = (
            f"INSERT INTO {quoted} ({_COLUMNS}) VALUES (?, ?, ?, ?, NULL) "
            "ON CONFLICT (alias, subject) DO NOTHING"
        )
        self._forget = (
            f"INSERT INTO {quoted} ({_COLUMNS}) VALUES (?, ?, NULL, ?, ?) ON CONFLICT (alias, subject) "
            "DO UPDATE SET wrapped_key = NULL, forgotten_at = excluded.forgotten_at "
            "WHERE wrapped_key IS NOT NULL"
        )
        self._list_all = f"SELECT {_COLUMNS} FROM {quoted} ORDER BY alias, subject"
        self._list_alias = f"SELECT {_COLUMNS} FROM {quoted} WHERE alias = ? ORDER BY subject"

    # database, connect, migrate, schema_version, latest_schema_version, close: SqliteStoreLifecycle

    async def get(self, alias: str, subject: str) -> SubjectKey | None:
        """The subject's key record (possibly forgotten), or None."""
        pair = checked_pair(alias, subject)
        row = await self._db.read(lambda c: c.execute(self._get, pair).fetchone())
        return None if row is None else _record(row)

    async def create(self, alias: str, subject: str, wrapped_key: bytes) -> SubjectKey:
        """Store the key unless the subject has a record; return the stored record."""
        pair = checked_pair(alias, subject)
        row = (*pair, checked_wrapped_key(wrapped_key), datetime.now(UTC).isoformat())

        def create(connection: sqlite3.Connection) -> Any:
            connection.execute(self._insert, row).close()
            return connection.execute(self._get, pair).fetchone()

        return _record(await self._db.write(create))

    async def forget(self, alias: str, subject: str) -> bool:
        """Destroy the subject's key (overwritten, then the WAL truncated); True when one was destroyed."""
        pair = checked_pair(alias, subject)
        now = datetime.now(UTC).isoformat()

        def forget(connection: sqlite3.Connection) -> bool:
            connection.execute("PRAGMA secure_delete = ON").close()
            existed = connection.execute(self._get, pair).fetchone()
            cursor = connection.execute(self._forget, (*pair, now, now))
            return existed is not None and existed[2] is not None and cursor.rowcount > 0

        destroyed: bool = await self._db.write(forget, pages=2)
        if destroyed:
            await self._truncate_log()
        return destroyed

    async def list_keys(self, alias: str | None = None) -> list[SubjectKey]:
        """Every record, of one alias or all, by alias and subject."""
        if alias is None:
            return await self._db.fetch(self._list_all, (), _records)
        return await self._db.fetch(self._list_alias, (checked_pair(alias, "-")[0],), _records)

    async def _truncate_log(self) -> None:
        """Checkpoint the WAL into the (securely overwritten) pages and truncate it, off the loop."""
        database = self.config.database
        if database == ":memory:" or self.config.journal_mode.upper() != "WAL":
            return

        def checkpoint() -> None:
            connection = sqlite3.connect(database, timeout=self.config.busy_timeout_ms / 1000)
            try:
                connection.execute("PRAGMA secure_delete = ON")
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                connection.close()

        await asyncio.to_thread(checkpoint)


def _record(row: Any) -> SubjectKey:
    alias, subject, wrapped, created_at, forgotten_at = row
    return SubjectKey(
        alias=alias,
        subject=subject,
        wrapped_key=None if wrapped is None else bytes(wrapped),
        created_at=datetime.fromisoformat(created_at),
        forgotten_at=None if forgotten_at is None else datetime.fromisoformat(forgotten_at),
    )


def _records(rows: list[Any]) -> list[SubjectKey]:
    return [_record(row) for row in rows]


def _satisfies_the_protocol(store: SqliteSubjectKeyStore) -> SubjectKeyStoreProtocol:
    return store
