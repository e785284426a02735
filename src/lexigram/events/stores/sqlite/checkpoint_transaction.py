"""A transaction of ``SqliteCheckpointStore`` and the read-model session it lends.

Both work on the store's connection inside one ``BEGIN IMMEDIATE`` transaction that the store
holds for the ``async with`` block. Every statement, the caller's and the store's own, runs on
the store's worker thread in the order it was given, so a read-model statement of any cost never
blocks the event loop. Once the block ends, both refuse further use.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.events.exceptions import CheckpointStoreError
from lexigram.events.stores.checkpoint_checks import checked_checkpoint, checked_parked, ended_transaction
from lexigram.events.stores.sqlite.checkpoint_sql import CheckpointSql, checkpoint_row, parked_row
from lexigram.events.stores.sqlite.database import HeldTransaction

if TYPE_CHECKING:
    from lexigram.contracts.events.subscriptions import (
        CheckpointTransactionProtocol,
        ReadModelSessionProtocol,
    )

__all__ = ["SqliteCheckpointTransaction", "SqliteReadModelSession"]

T = TypeVar("T")

_SHOWN_SQL = 200
"""Characters of a failed statement quoted in the error."""


def _shortened(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= _SHOWN_SQL else text[: _SHOWN_SQL - 3] + "..."


class SqliteReadModelSession:
    """SQL on the checkpoint store's connection, inside the checkpoint transaction (``?`` placeholders).

    Example, in a projection's ``apply(event, session)``::

        await session.execute("INSERT INTO order_totals (order_id, total) VALUES (?, ?)", event.order_id, 0)

    Rows come back as tuples. A failing statement raises ``CheckpointStoreError`` (the
    ``sqlite3`` error is its ``__cause__``); let it propagate and the whole transaction, checkpoint
    included, rolls back.
    """

    def __init__(self, held: HeldTransaction, database: str) -> None:
        self._held = held
        self._database = database

    async def execute(self, sql: str, *parameters: Any) -> None:
        """Run one statement."""

        def run(connection: sqlite3.Connection) -> None:
            connection.execute(sql, parameters).close()

        await self._run(sql, run)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters."""
        batch = [tuple(row) for row in rows]  # read here: a generator never runs on the worker thread

        def run(connection: sqlite3.Connection) -> None:
            connection.executemany(sql, batch).close()

        await self._run(sql, run, pages=1 + len(batch) // 16)

    async def fetch(self, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""

        def run(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
            cursor = connection.execute(sql, parameters)
            try:
                return [tuple(row) for row in cursor.fetchall()]
            finally:
                cursor.close()

        return await self._run(sql, run, pages=0)

    async def _run(self, sql: str, work: Callable[[sqlite3.Connection], T], *, pages: int = 1) -> T:
        if not self._held.is_open:
            raise ended_transaction("read-model session")
        try:
            return await self._held.run(work, pages=pages)
        except sqlite3.Error as exc:
            raise CheckpointStoreError(
                f"a read-model statement failed on the SQLite database {self._database}: {exc} "
                f"(statement: {_shortened(sql)})",
                details={"database": self._database},
            ) from exc


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
