"""``SqliteCheckpointStore``: projection checkpoints and parked events in a SQLite database.

Two tables, ``checkpoints_table`` (one row per projection name) and ``parked_table`` (one row per
projection and global position), created by the store's own versioned migrations with their own
ledger, ``<checkpoints_table>_schema_migrations``. By default the store uses the event store's
database file: a projection whose read model lives in that file writes its rows and its
checkpoint in one transaction (``transaction().session``), so after a crash the read model and
the checkpoint always agree.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import SqliteConfig
from lexigram.events.exceptions import CheckpointStoreError
from lexigram.events.stores.checkpoint_checks import (
    checked_checkpoint,
    checked_name,
    checked_parked,
    checked_position,
    store_failures,
)
from lexigram.events.stores.sqlite.checkpoint_sql import (
    CheckpointSql,
    checkpoint_from_row,
    checkpoint_row,
    parked_from_row,
    parked_row,
)
from lexigram.events.stores.sqlite.checkpoint_transaction import SqliteCheckpointTransaction
from lexigram.events.stores.sqlite.database import SqliteDatabase, reject_provider
from lexigram.events.stores.sqlite.schema import checkpoint_schema
from lexigram.events.stores.sqlite.session import TransactionLender

if TYPE_CHECKING:
    from lexigram.contracts.events.subscriptions import CheckpointStoreProtocol

__all__ = ["SqliteCheckpointStore"]


class SqliteCheckpointStore:
    """Checkpoints and parked events of projections in a SQLite database file.

    Example::

        checkpoints = SqliteCheckpointStore(SqliteConfig(database="events.db"))
        async with checkpoints.transaction() as transaction:
            await transaction.session.execute("UPDATE totals SET amount = amount + ? WHERE id = ?", 5, "o-1")
            await transaction.save(Checkpoint("totals", position=42))  # commits with the update
        await checkpoints.close()

    The store has its own connection (with the configured journal mode, ``synchronous`` and
    ``busy_timeout_ms``) and may share the file with ``SqliteEventStore`` and
    ``SqliteSnapshotStore``. ``connect()`` opens it and, with ``auto_create_tables``, creates or
    upgrades the tables; the first operation connects too. No call blocks the event loop.

    A transaction holds the database's write lock (``BEGIN IMMEDIATE``) for its whole block:
    other writers of the file, appends included, wait for it, so keep blocks short. The store's
    other methods wait for the block too: inside it, use only the transaction (calling the store
    from the task that holds the transaction raises ``CheckpointStoreError``). Transactions do
    not nest. ``provider`` must be None: the store opens its own connection to ``config.database``.
    """

    def __init__(self, config: SqliteConfig | None = None, provider: object | None = None) -> None:
        reject_provider(provider, "SqliteCheckpointStore")
        if config is not None and not isinstance(config, SqliteConfig):
            raise ConfigurationError(f"config must be a SqliteConfig, got {type(config).__name__}")
        self.config = config if config is not None else SqliteConfig()
        schema = checkpoint_schema(self.config.checkpoints_table, self.config.parked_table)
        self._db = SqliteDatabase(self.config, schema, "checkpoint store")
        self._sql = CheckpointSql.render(self.config.checkpoints_table, self.config.parked_table)
        self._lender = TransactionLender(
            self._db,
            CheckpointStoreError,
            "this task holds a transaction of this SQLite checkpoint store, and the store's own "
            "methods wait for that transaction to end: inside the `async with store.transaction()` "
            "block use the transaction's save, park and session (transactions do not nest)",
        )

    # --- lifecycle and schema ------------------------------------------------------------------

    @property
    def database(self) -> str:
        """The database file (or ``:memory:``) this store uses."""
        return self.config.database

    async def connect(self) -> None:
        """Open the connection and create or upgrade the tables; idempotent."""
        async with store_failures():
            await self._db.connect()

    async def migrate(self) -> list[int]:
        """Apply the schema migrations the database lacks; return the versions applied now."""
        self._lender.refuse_inside()
        async with store_failures():
            return await self._db.migrate()

    async def schema_version(self) -> int:
        """The checkpoint store's schema version in the database (0: not initialised)."""
        self._lender.refuse_inside()
        async with store_failures():
            return await self._db.schema_version()

    @property
    def latest_schema_version(self) -> int:
        """The schema version this code brings a database to."""
        return self._db.schema.latest

    async def close(self) -> None:
        """Close the connection; a later operation opens it again. Idempotent."""
        self._lender.refuse_inside()
        await self._db.close()

    # --- checkpoints ---------------------------------------------------------------------------

    async def load(self, name: str) -> Checkpoint | None:
        """The checkpoint saved under ``name``, or None."""
        key = checked_name(name)
        self._lender.refuse_inside()
        statement = self._sql.load_checkpoint
        async with store_failures():
            row = await self._db.read(lambda c: c.execute(statement, (key,)).fetchone())
        return None if row is None else checkpoint_from_row(row)

    async def save(self, checkpoint: Checkpoint) -> None:
        """Save the checkpoint under its ``projection_name`` (insert or replace)."""
        row = checkpoint_row(checked_checkpoint(checkpoint))
        self._lender.refuse_inside()
        statement = self._sql.save_checkpoint
        async with store_failures():
            await self._db.write(lambda c: c.execute(statement, row).close())

    async def delete(self, name: str) -> bool:
        """Delete the checkpoint and the parked events of ``name``; True when a checkpoint existed."""
        key = checked_name(name)
        self._lender.refuse_inside()
        sql = self._sql

        def delete(connection: sqlite3.Connection) -> bool:
            connection.execute(sql.delete_parked_of, (key,)).close()
            return connection.execute(sql.delete_checkpoint, (key,)).rowcount > 0

        async with store_failures():
            return await self._db.write(delete, pages=4)

    async def list_checkpoints(self) -> list[Checkpoint]:
        """Every saved checkpoint, by name."""
        self._lender.refuse_inside()
        async with store_failures():
            return await self._db.fetch(self._sql.list_checkpoints, (), _checkpoints)

    # --- parked events -------------------------------------------------------------------------

    async def park(self, parked: ParkedEvent) -> None:
        """Record a parked event (replacing one at the same projection and position)."""
        row = parked_row(checked_parked(parked))
        self._lender.refuse_inside()
        statement = self._sql.park
        async with store_failures():
            await self._db.write(lambda c: c.execute(statement, row).close())

    async def list_parked(self, name: str | None = None) -> list[ParkedEvent]:
        """Parked events of one projection (or of all), by projection and position."""
        key = None if name is None else checked_name(name)
        self._lender.refuse_inside()
        async with store_failures():
            if key is None:
                return await self._db.fetch(self._sql.list_parked, (), _parked_events)
            return await self._db.fetch(self._sql.list_parked_of, (key,), _parked_events)

    async def remove_parked(self, name: str, position: int) -> bool:
        """Forget one parked event; True when it existed."""
        parameters = (checked_name(name), checked_position(position))
        self._lender.refuse_inside()
        statement = self._sql.remove_parked
        async with store_failures():
            return await self._db.write(lambda c: c.execute(statement, parameters).rowcount > 0)

    # --- transactions --------------------------------------------------------------------------

    def transaction(self) -> AbstractAsyncContextManager[SqliteCheckpointTransaction]:
        """One ``BEGIN IMMEDIATE`` transaction: read-model writes, checkpoint and parks commit together.

        When the block raises, everything done through the transaction rolls back and the
        exception propagates unchanged.
        """
        return self._lender.lend(lambda held: SqliteCheckpointTransaction(held, self._sql, self.database))


def _checkpoints(rows: list[tuple[object, ...]]) -> list[Checkpoint]:
    return [checkpoint_from_row(row) for row in rows]


def _parked_events(rows: list[tuple[object, ...]]) -> list[ParkedEvent]:
    return [parked_from_row(row) for row in rows]


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: SqliteCheckpointStore) -> CheckpointStoreProtocol:
        return store
