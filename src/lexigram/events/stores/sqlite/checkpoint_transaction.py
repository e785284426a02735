"""A transaction of ``SqliteCheckpointStore`` and the read-model session it lends.

Both work on the store's connection inside one ``BEGIN IMMEDIATE`` transaction that the store
holds for the ``async with`` block. Every statement, the caller's and the store's own, runs on
the store's worker thread in the order it was given, so a read-model statement of any cost never
blocks the event loop. Once the block ends, both refuse further use.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.events.exceptions import CheckpointStoreError
from lexigram.events.stores.checkpoint_checks import checked_checkpoint, checked_parked, ended_transaction
from lexigram.events.stores.sqlite.checkpoint_sql import CheckpointSql, checkpoint_row, parked_row
from lexigram.events.stores.sqlite.database import HeldTransaction
from lexigram.events.stores.sqlite.session import SqliteSession

if TYPE_CHECKING:
    from lexigram.contracts.events.subscriptions import (
        CheckpointTransactionProtocol,
        ReadModelSessionProtocol,
    )

__all__ = ["SqliteCheckpointTransaction", "SqliteReadModelSession"]


class SqliteReadModelSession(SqliteSession):
    """SQL on the checkpoint store's connection, inside the open transaction (``?`` placeholders).

    Example, in a projection's ``apply(event, session)``::

        await session.execute("INSERT INTO order_totals (order_id, total) VALUES (?, ?)", event.order_id, 0)

    Rows come back as tuples. A failing statement raises ``CheckpointStoreError`` (the
    ``sqlite3`` error is its ``__cause__``); let it propagate and the whole transaction,
    checkpoint included, rolls back.
    """

    failure = CheckpointStoreError
    statement_kind = "a read-model statement"

    def _ended(self) -> CheckpointStoreError:
        return ended_transaction("read-model session")


class SqliteCheckpointTransaction:
    """What a projection does in one ``SqliteCheckpointStore`` transaction: read model, checkpoint, parks.

    ``save`` and ``park`` write at once, inside the open transaction: they become visible, with
    everything written through ``session``, when the block ends without an exception.
    """

    def __init__(self, held: HeldTransaction, sql: CheckpointSql, database: str) -> None:
        self._held = held
        self._sql = sql
        self._database = database
        self._session = SqliteReadModelSession(held, database)

    @property
    def session(self) -> SqliteReadModelSession:
        """SQL on the store's database inside this transaction."""
        return self._session

    async def save(self, checkpoint: Checkpoint) -> None:
        """Save the checkpoint (insert or replace) as part of the transaction."""
        row = checkpoint_row(checked_checkpoint(checkpoint))
        statement = self._sql.save_checkpoint
        await self._write("save a checkpoint", lambda c: c.execute(statement, row).close())

    async def park(self, parked: ParkedEvent) -> None:
        """Park an event (replacing one at the same projection and position) as part of the transaction."""
        row = parked_row(checked_parked(parked))
        statement = self._sql.park
        await self._write("park an event", lambda c: c.execute(statement, row).close())

    async def _write(self, action: str, work: Callable[[sqlite3.Connection], None]) -> None:
        if not self._held.is_open:
            raise ended_transaction("save and park")
        try:
            await self._held.run(work)
        except sqlite3.Error as exc:
            raise CheckpointStoreError(
                f"the SQLite checkpoint store could not {action} on {self._database}: {exc}",
                details={"database": self._database},
            ) from exc


if TYPE_CHECKING:

    def _satisfies_the_protocols(
        transaction: SqliteCheckpointTransaction, session: SqliteReadModelSession
    ) -> tuple[CheckpointTransactionProtocol, ReadModelSessionProtocol]:
        return transaction, session
