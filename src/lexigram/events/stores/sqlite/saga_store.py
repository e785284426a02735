"""``SqliteSagaStore``: saga instances in a SQLite database (usually the event store's file).

Every save is ``UPDATE ... WHERE saga_id = ? AND version = ?`` in one ``BEGIN IMMEDIATE``
transaction: of two processes saving the same version, exactly one wins and the other gets
``SagaConcurrencyError``. The connection follows the SQLite stores' rules (``SqliteDatabase``):
statements never block the event loop, a locked file is retried with backoff for
``busy_timeout_ms``, and the table is created or upgraded on ``connect()`` with
``auto_create_tables``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.workflow.records import SagaRecord
from lexigram.events.config import SqliteConfig
from lexigram.events.exceptions import SagaConcurrencyError, SagaNotFoundError
from lexigram.events.sagas.rows import (
    COLUMNS,
    INCOMPLETE_STATES,
    checked_key,
    checked_record,
    checked_saga_id,
    checked_version,
    record_from_values,
    record_values,
    saga_store_failures,
)
from lexigram.events.stores.sqlite.database import SqliteDatabase, reject_provider
from lexigram.events.stores.sqlite.saga_schema import saga_schema

if TYPE_CHECKING:
    from lexigram.contracts.workflow.stores import SagaStoreProtocol

__all__ = ["SqliteSagaStore"]

_SELECT = ", ".join(COLUMNS)
_UPDATED = ", ".join(f"{column} = ?" for column in COLUMNS[2:])


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _records(rows: list[Any]) -> list[SagaRecord]:
    return [record_from_values(row, datetime.fromisoformat) for row in rows]


class SqliteSagaStore:
    """Saga instances in a SQLite database file; ``SqlSagaStore(SqliteConfig(...))`` builds one.

    ``config.sagas_table`` names the table (its migrations ledger is
    ``<sagas_table>_schema_migrations``). ``provider`` must be None: the store opens its own
    connection to ``config.database``.
    """

    def __init__(self, config: SqliteConfig | None = None, provider: object | None = None) -> None:
        reject_provider(provider, "SqliteSagaStore")
        if config is not None and not isinstance(config, SqliteConfig):
            raise ConfigurationError(f"config must be a SqliteConfig, got {type(config).__name__}")
        self.config = config if config is not None else SqliteConfig()
        table = f'"{self.config.sagas_table}"'
        self._db = SqliteDatabase(self.config, saga_schema(self.config.sagas_table), "saga store")
        self._insert = f"INSERT INTO {table} ({_SELECT}) VALUES ({', '.join('?' * len(COLUMNS))})"
        self._update = f"UPDATE {table} SET {_UPDATED} WHERE saga_id = ? AND version = ?"
        self._get = f"SELECT {_SELECT} FROM {table} WHERE saga_id = ?"
        self._find = f"SELECT {_SELECT} FROM {table} WHERE saga_type = ? AND correlation_key = ?"
        marks = ", ".join("?" * len(INCOMPLETE_STATES))
        self._incomplete = (
            f"SELECT {_SELECT} FROM {table} WHERE status IN ({marks}) ORDER BY created_at, saga_id"
        )
        self._delete = f"DELETE FROM {table} WHERE saga_id = ?"

    # --- lifecycle and schema ------------------------------------------------------------------

    @property
    def database(self) -> str:
        """The database file (or ``:memory:``) this store uses."""
        return self.config.database

    async def connect(self) -> None:
        """Open the connection and create or upgrade the table; idempotent."""
        async with saga_store_failures():
            await self._db.connect()

    async def migrate(self) -> list[int]:
        """Apply the schema migrations the database lacks; return the versions applied now."""
        async with saga_store_failures():
            return await self._db.migrate()

    async def schema_version(self) -> int:
        """The saga store's schema version in the database (0: not initialised)."""
        async with saga_store_failures():
            return await self._db.schema_version()

    @property
    def latest_schema_version(self) -> int:
        """The schema version this code brings a database to."""
        return self._db.schema.latest

    async def close(self) -> None:
        """Close the connection; a later operation opens it again. Idempotent."""
        await self._db.close()

    # --- instances -----------------------------------------------------------------------------

    async def create(self, record: SagaRecord) -> SagaRecord:
        """Store a new instance as version 1 and return it."""
        checked = checked_record(record).evolve(version=1)
        values = record_values(checked, _iso)
        statement, find = self._insert, self._find

        def insert(connection: sqlite3.Connection) -> str | None:
            try:
                connection.execute(statement, values).close()
            except sqlite3.IntegrityError:
                if checked.correlation_key is None:
                    return checked.saga_id
                row = connection.execute(find, (checked.saga_type, checked.correlation_key)).fetchone()
                return checked.saga_id if row is None else str(row[0])
            return None

        async with saga_store_failures():
            taken_by = await self._db.write(insert)
        if taken_by is not None:
            raise _taken(checked, taken_by)
        return checked

    async def save(self, record: SagaRecord, expected_version: int) -> SagaRecord:
        """Replace the instance if it is still at ``expected_version``; return it at the next version."""
        checked = checked_record(record)
        expected = checked_version(expected_version)
        saved = checked.evolve(version=expected + 1)
        values = record_values(saved, _iso)
        update, get = self._update, self._get
        key = (checked.saga_type, checked.correlation_key)

        def write(connection: sqlite3.Connection) -> tuple[Any, ...] | None:
            row = connection.execute(get, (checked.saga_id,)).fetchone()
            if row is None or row[3] != expected or (row[1], row[4]) != key:
                return None if row is None else tuple(row)
            connection.execute(update, (*values[2:], checked.saga_id, expected)).close()
            return ()

        async with saga_store_failures():
            outcome = await self._db.write(write)
        if outcome is None:
            raise SagaNotFoundError(f"no saga has the id '{checked.saga_id}'; create() it first")
        if outcome:
            raise _conflict(checked, expected, outcome)
        return saved

    async def get(self, saga_id: str) -> SagaRecord | None:
        """The instance with this id, or None."""
        key = checked_saga_id(saga_id)
        async with saga_store_failures():
            records = await self._db.fetch(self._get, (key,), _records)
        return records[0] if records else None

    async def find(self, saga_type: str, correlation_key: str) -> SagaRecord | None:
        """The instance of ``saga_type`` with this correlation key, or None."""
        parameters = checked_key(saga_type, correlation_key)
        async with saga_store_failures():
            records = await self._db.fetch(self._find, parameters, _records)
        return records[0] if records else None

    async def list_incomplete(self) -> list[SagaRecord]:
        """Every instance not in a final state, oldest first."""
        states = tuple(state.value for state in INCOMPLETE_STATES)
        async with saga_store_failures():
            return await self._db.fetch(self._incomplete, states, _records)

    async def delete(self, saga_id: str) -> bool:
        """Forget an instance; True when it existed."""
        key = checked_saga_id(saga_id)
        statement = self._delete
        async with saga_store_failures():
            return await self._db.write(lambda c: c.execute(statement, (key,)).rowcount > 0)


def _taken(record: SagaRecord, taken_by: str) -> SagaConcurrencyError:
    if taken_by == record.saga_id:
        return SagaConcurrencyError(
            record.saga_id, f"a saga with the id '{record.saga_id}' exists already; choose another id"
        )
    return SagaConcurrencyError(
        record.saga_id,
        f"the {record.saga_type} saga '{taken_by}' has the correlation key '{record.correlation_key}' "
        "already; load it with find() instead of creating another",
    )


def _conflict(record: SagaRecord, expected: int, row: tuple[Any, ...]) -> SagaConcurrencyError:
    if (row[1], row[4]) != (record.saga_type, record.correlation_key):
        return SagaConcurrencyError(
            record.saga_id,
            f"saga '{record.saga_id}' cannot change its saga type or correlation key once created",
        )
    return SagaConcurrencyError(
        record.saga_id,
        f"saga '{record.saga_id}' is at version {row[3]}, not {expected}: another manager saved it "
        "since it was read; reload it",
        expected,
        int(row[3]),
    )


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: SqliteSagaStore) -> SagaStoreProtocol:
        return store
