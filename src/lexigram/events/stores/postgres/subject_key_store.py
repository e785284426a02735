"""``PostgresSubjectKeyStore``: the wrapped data keys of data subjects in PostgreSQL.

One row per (key alias, subject) in ``table`` (``subject_keys`` by default), created by the
store's own migrations (ledger ``<table>_schema_migrations``). ``forget`` sets the key to NULL and
keeps the row as a tombstone. PostgreSQL keeps the old row version in the table file until it
is vacuumed and its page rewritten; ``purge()`` rewrites the table (``VACUUM FULL``) so destroyed
keys leave the data files too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lexigram.contracts.events.keys import SubjectKey
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import EventStoreError
from lexigram.events.stores.migrations import Migration, checked_migrations
from lexigram.events.stores.postgres.link import StoreLink, pool_for
from lexigram.events.stores.postgres.migrator import Migrator
from lexigram.events.stores.postgres.reporting_store import ReportingLinkedStore
from lexigram.events.stores.postgres.schema import quote
from lexigram.events.stores.subject_key_checks import checked_pair, checked_table, checked_wrapped_key

if TYPE_CHECKING:
    from lexigram.contracts.events.keys import SubjectKeyStoreProtocol

__all__ = ["SUBJECT_KEY_MIGRATIONS", "PostgresSubjectKeyStore"]

SUBJECT_KEY_MIGRATIONS: Sequence[Migration] = checked_migrations(
    [
        Migration(
            1,
            "wrapped data keys of data subjects, with tombstones of forgotten ones",
            (
                """
                CREATE TABLE {keys} (
                    alias        text        NOT NULL,
                    subject      text        NOT NULL,
                    wrapped_key  bytea,
                    created_at   timestamptz NOT NULL DEFAULT now(),
                    forgotten_at timestamptz,
                    PRIMARY KEY (alias, subject)
                )
                """,
            ),
        ),
    ]
)
"""The subject-key store's schema, oldest first."""

_COLUMNS = "alias, subject, wrapped_key, created_at, forgotten_at"


class PostgresSubjectKeyStore(ReportingLinkedStore):
    """Subject data keys (wrapped by their alias's master key) in PostgreSQL.

    Example::

        keys = PostgresSubjectKeyStore(PostgresEventStoreConfig(dsn=...), provider=event_store.pool)
        serializer = EncryptedEventSerializer(master_keys, subject_keys=keys)

    ``provider`` and ``connect()`` work as for ``PostgresEventStore`` (None opens a pool of its
    own, an asyncpg pool is borrowed, a ``PostgresPool`` is shared). With ``auto_create_tables``
    (the default) ``connect()`` or the first operation creates or upgrades the table.
    """

    failure_type = EventStoreError

    def __init__(
        self,
        config: PostgresEventStoreConfig | None = None,
        provider: Any = None,
        *,
        table: str = "subject_keys",
    ) -> None:
        if config is not None and not isinstance(config, PostgresEventStoreConfig):
            raise ConfigurationError(
                f"config must be a PostgresEventStoreConfig, got {type(config).__name__}"
            )
        self.config = config if config is not None else PostgresEventStoreConfig()
        self.table = checked_table(table)
        quoted = quote(table)
        names = {"keys": quoted}
        pool = pool_for(self.config, provider)
        self._link = StoreLink(
            "PostgresSubjectKeyStore",
            self.config,
            pool,
            Migrator(pool.driver, SUBJECT_KEY_MIGRATIONS, names, quote(f"{table}_schema_migrations")),
        )
        self._get = f"SELECT {_COLUMNS} FROM {quoted} WHERE alias = $1 AND subject = $2"
        self._insert = (
            f"INSERT INTO {quoted} (alias, subject, wrapped_key) VALUES ($1, $2, $3) "
            f"ON CONFLICT (alias, subject) DO NOTHING RETURNING {_COLUMNS}"
        )
        self._forget = (
            f"INSERT INTO {quoted} AS k (alias, subject, wrapped_key, forgotten_at) "
            "VALUES ($1, $2, NULL, now()) "
            "ON CONFLICT (alias, subject) DO UPDATE SET wrapped_key = NULL, forgotten_at = now() "
            "WHERE k.wrapped_key IS NOT NULL RETURNING (xmax <> 0) AS destroyed"
        )
        self._list_all = f"SELECT {_COLUMNS} FROM {quoted} ORDER BY alias, subject"
        self._list_alias = f"SELECT {_COLUMNS} FROM {quoted} WHERE alias = $1 ORDER BY subject"
        self._purge = f"VACUUM FULL {quoted}"

    async def get(self, alias: str, subject: str) -> SubjectKey | None:
        """The subject's key record (possibly forgotten), or None."""
        pair = checked_pair(alias, subject)
        async with self._link.connection(f"read the key of subject '{subject}'", writing=False) as connection:
            row = await connection.fetchrow(self._get, *pair)
        return None if row is None else _record(row)

    async def create(self, alias: str, subject: str, wrapped_key: bytes) -> SubjectKey:
        """Store the key unless the subject has a record; return the stored record (the first one)."""
        pair = checked_pair(alias, subject)
        wrapped = checked_wrapped_key(wrapped_key)
        async with self._link.connection(f"store the key of subject '{subject}'", writing=True) as connection:
            row = await connection.fetchrow(self._insert, *pair, wrapped)
            if row is None:  # another writer was first; its row is committed, read it
                row = await connection.fetchrow(self._get, *pair)
        return _record(row)

    async def forget(self, alias: str, subject: str) -> bool:
        """Destroy the subject's key, keeping a tombstone; True when a key was destroyed now."""
        pair = checked_pair(alias, subject)
        async with self._link.connection(f"forget subject '{subject}'", writing=True) as connection:
            row = await connection.fetchrow(self._forget, *pair)
        return bool(row is not None and row[0])

    async def list_keys(self, alias: str | None = None) -> list[SubjectKey]:
        """Every record, of one alias or all, by alias and subject."""
        async with self._link.connection("list subject keys", writing=False) as connection:
            if alias is None:
                rows = await connection.fetch(self._list_all)
            else:
                rows = await connection.fetch(self._list_alias, checked_pair(alias, "-")[0])
        return [_record(row) for row in rows]

    async def purge(self) -> None:
        """Rewrite the table (``VACUUM FULL``) so the bytes of destroyed keys leave its data files.

        It locks the table for the rewrite (short: the table holds one small row per subject).
        """
        async with self._link.connection("purge destroyed subject keys", writing=True) as connection:
            await connection.execute(self._purge)


def _record(row: Any) -> SubjectKey:
    return SubjectKey(
        alias=row[0],
        subject=row[1],
        wrapped_key=None if row[2] is None else bytes(row[2]),
        created_at=row[3],
        forgotten_at=row[4],
    )


def _satisfies_the_protocol(store: PostgresSubjectKeyStore) -> SubjectKeyStoreProtocol:
    return store
