"""A transaction of ``PostgresCheckpointStore`` and the read-model session it lends.

Both work on one pooled connection inside one PostgreSQL transaction that the store holds for
the ``async with`` block. Once the block ends, both refuse further use.

PostgreSQL aborts a transaction at its first failed statement: everything after it fails until
the transaction rolls back (or back to a savepoint). The transaction remembers a failure, and if
the block still ends without an exception, the store checks whether the transaction is usable
before committing, instead of letting ``COMMIT`` silently roll it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.events.exceptions import CheckpointStoreError
from lexigram.events.stores.checkpoint_checks import checked_checkpoint, checked_parked, ended_transaction
from lexigram.events.stores.postgres.checkpoint_sql import (
    CheckpointStatements,
    checkpoint_arguments,
    parked_arguments,
)
from lexigram.events.stores.postgres.driver import ConnectionLike
from lexigram.events.stores.postgres.link import StoreLink
from lexigram.events.stores.postgres.session import PostgresSession, TransactionState

if TYPE_CHECKING:
    from lexigram.contracts.events.subscriptions import (
        CheckpointTransactionProtocol,
        ReadModelSessionProtocol,
    )

__all__ = ["PostgresCheckpointTransaction", "PostgresReadModelSession"]


class PostgresReadModelSession(PostgresSession):
    """SQL on the transaction's connection (``$1``, ``$2``, ... placeholders).

    Example, in a projection's ``apply(event, session)``::

        await session.execute("INSERT INTO order_totals (order_id, total) VALUES ($1, $2)", event.order_id, 0)

    Rows come back as tuples. A failing statement raises ``CheckpointStoreError`` (the driver's
    error is its ``__cause__``) and leaves the PostgreSQL transaction aborted: let the error
    propagate and the whole transaction, checkpoint included, rolls back.
    """

    failure = CheckpointStoreError
    statement_kind = "a read-model statement"

    def _ended(self) -> CheckpointStoreError:
        return ended_transaction("read-model session")


class PostgresCheckpointTransaction:
    """What a projection does in one ``PostgresCheckpointStore`` transaction: read model, checkpoint, parks.

    ``save`` and ``park`` write at once, inside the open transaction: they become visible, with
    everything written through ``session``, when the block ends without an exception.
    """

    def __init__(self, connection: ConnectionLike, link: StoreLink, statements: CheckpointStatements) -> None:
        self._connection = connection
        self._link = link
        self._statements = statements
        self.state = TransactionState()
        self._session = PostgresReadModelSession(connection, link, self.state)

    @property
    def session(self) -> PostgresReadModelSession:
        """SQL on the store's database inside this transaction."""
        return self._session

    async def save(self, checkpoint: Checkpoint) -> None:
        """Save the checkpoint (insert or replace) as part of the transaction."""
        arguments = checkpoint_arguments(checked_checkpoint(checkpoint))
        await self._write("save a checkpoint", self._statements.save_checkpoint, arguments)

    async def park(self, parked: ParkedEvent) -> None:
        """Park an event (replacing one at the same projection and position) as part of the transaction."""
        arguments = parked_arguments(checked_parked(parked))
        await self._write("park an event", self._statements.park, arguments)

    async def _write(self, action: str, sql: str, arguments: tuple[Any, ...]) -> None:
        if not self.state.open:
            raise ended_transaction("save and park")
        try:
            async with self._link.failures(action, writing=True):
                await self._connection.execute(sql, *arguments)
        except BaseException:
            self.state.failed = True
            raise


if TYPE_CHECKING:

    def _satisfies_the_protocols(
        transaction: PostgresCheckpointTransaction, session: PostgresReadModelSession
    ) -> tuple[CheckpointTransactionProtocol, ReadModelSessionProtocol]:
        return transaction, session
