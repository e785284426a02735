"""``PostgresCheckpointStore``: projection checkpoints and parked events in PostgreSQL."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import CheckpointStoreError
from lexigram.events.stores.checkpoint_checks import (
    checked_checkpoint,
    checked_name,
    checked_parked,
    checked_position,
    store_failures,
)
from lexigram.events.stores.postgres.checkpoint_sql import (
    CheckpointStatements,
    checkpoint_arguments,
    checkpoint_from_row,
    parked_arguments,
    parked_from_row,
)
from lexigram.events.stores.postgres.checkpoint_transaction import PostgresCheckpointTransaction
from lexigram.events.stores.postgres.driver import status_count
from lexigram.events.stores.postgres.link import StoreLink, pool_for
from lexigram.events.stores.postgres.linked_store import LinkedProjectionStore
from lexigram.events.stores.postgres.migrator import Migrator
from lexigram.events.stores.postgres.schema import CHECKPOINT_MIGRATIONS, CheckpointTables
from lexigram.events.stores.postgres.session import lent_transaction

if TYPE_CHECKING:
    from lexigram.contracts.events.subscriptions import CheckpointStoreProtocol

__all__ = ["PostgresCheckpointStore"]


class PostgresCheckpointStore(LinkedProjectionStore):
    """Checkpoints and parked events of projections in PostgreSQL.

    Example::

        checkpoints = PostgresCheckpointStore(PostgresEventStoreConfig(dsn="postgresql://app@db/events"))
        async with checkpoints.transaction() as transaction:
            await transaction.session.execute("UPDATE totals SET n = n + $1 WHERE id = $2", 5, "o-1")
            await transaction.save(Checkpoint("totals", position=42))  # commits with the update
        await checkpoints.close()

    ``provider`` and ``connect()`` work as for ``PostgresEventStore``: None opens the store's own
    pool from ``config``, an ``asyncpg.Pool`` is borrowed (never closed by the store), and a
    ``PostgresPool`` is shared, for example with the event store (``provider=event_store.pool``),
    closing with the last store that uses it. With ``auto_create_tables`` (the default),
    ``connect()`` or the first operation creates or upgrades ``checkpoints_table`` and
    ``parked_table`` (their migrations are recorded in ``<checkpoints_table>_schema_migrations``).

    A transaction is one pooled connection in one PostgreSQL transaction for the whole block;
    its ``session`` runs SQL on that connection, so a read model in the same database commits
    with the checkpoint. Keep blocks short: a writing transaction holds the event store's
    catch-up readers back until it ends (see ``PostgresEventStore``). Transactions do not nest.
    """

    def __init__(self, config: PostgresEventStoreConfig | None = None, provider: Any = None) -> None:
        if config is not None and not isinstance(config, PostgresEventStoreConfig):
            raise ConfigurationError(
                f"config must be a PostgresEventStoreConfig, got {type(config).__name__}"
            )
        self.config = config if config is not None else PostgresEventStoreConfig()
        self.tables = CheckpointTables.named(self.config.checkpoints_table, self.config.parked_table)
        self._sql = CheckpointStatements(self.tables.checkpoints, self.tables.parked)
        pool = pool_for(self.config, provider)
        self._link = StoreLink(
            "PostgresCheckpointStore",
            self.config,
            pool,
            Migrator(pool.driver, CHECKPOINT_MIGRATIONS, self.tables.names, self.tables.migrations),
        )

    # lifecycle and schema: connect, close, migrate, schema_version, pool (LinkedProjectionStore)

    # --- checkpoints ---------------------------------------------------------------------------

    async def load(self, name: str) -> Checkpoint | None:
        """The checkpoint saved under ``name``, or None."""
        key = checked_name(name)
        async with (
            store_failures(),
            self._link.connection(f"load the checkpoint of '{key}'", writing=False) as connection,
        ):
            row = await connection.fetchrow(self._sql.load_checkpoint, key)
        return None if row is None else checkpoint_from_row(row)

    async def save(self, checkpoint: Checkpoint) -> None:
        """Save the checkpoint under its ``projection_name`` (insert or replace)."""
        checked = checked_checkpoint(checkpoint)
        action = f"save the checkpoint of '{checked.projection_name}'"
        async with store_failures(), self._link.connection(action, writing=True) as connection:
            await connection.execute(self._sql.save_checkpoint, *checkpoint_arguments(checked))

    async def delete(self, name: str) -> bool:
        """Delete the checkpoint and the parked events of ``name``; True when a checkpoint existed."""
        key = checked_name(name)
        async with (
            store_failures(),
            self._link.connection(f"delete the checkpoint of '{key}'", writing=True) as connection,
        ):
            status = await connection.execute(self._sql.delete, key)
        return status_count(status) > 0

    async def list_checkpoints(self) -> list[Checkpoint]:
        """Every saved checkpoint, by name."""
        async with (
            store_failures(),
            self._link.connection("list the checkpoints", writing=False) as connection,
        ):
            rows = await connection.fetch(self._sql.list_checkpoints)
        return [checkpoint_from_row(row) for row in rows]

    # --- parked events -------------------------------------------------------------------------

    async def park(self, parked: ParkedEvent) -> None:
        """Record a parked event (replacing one at the same projection and position)."""
        checked = checked_parked(parked)
        action = f"park the event at position {checked.position} for '{checked.projection_name}'"
        async with store_failures(), self._link.connection(action, writing=True) as connection:
            await connection.execute(self._sql.park, *parked_arguments(checked))

    async def list_parked(self, name: str | None = None) -> list[ParkedEvent]:
        """Parked events of one projection (or of all), by projection and position."""
        key = None if name is None else checked_name(name)
        async with store_failures(), self._link.connection("list parked events", writing=False) as connection:
            if key is None:
                rows = await connection.fetch(self._sql.list_parked)
            else:
                rows = await connection.fetch(self._sql.list_parked_of, key)
        return [parked_from_row(row) for row in rows]

    async def remove_parked(self, name: str, position: int) -> bool:
        """Forget one parked event; True when it existed."""
        key, checked = checked_name(name), checked_position(position)
        action = f"remove the parked event at position {checked} of '{key}'"
        async with store_failures(), self._link.connection(action, writing=True) as connection:
            status = await connection.execute(self._sql.remove_parked, key, checked)
        return status_count(status) > 0

    # --- transactions --------------------------------------------------------------------------

    def transaction(self) -> AbstractAsyncContextManager[PostgresCheckpointTransaction]:
        """One transaction on one connection: read-model writes, checkpoint and parks commit together.

        When the block raises, everything done through the transaction rolls back and the
        exception propagates unchanged. When a statement failed inside the block but the block
        did not raise, the transaction cannot commit: it rolls back and ``CheckpointStoreError``
        says so (unless the block recovered the transaction, with a savepoint).
        """
        return lent_transaction(
            self._link,
            lambda connection: PostgresCheckpointTransaction(connection, self._link, self._sql),
            name="checkpoint transaction",
            lost="the checkpoint included",
            failure=CheckpointStoreError,
        )


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: PostgresCheckpointStore) -> CheckpointStoreProtocol:
        return store
