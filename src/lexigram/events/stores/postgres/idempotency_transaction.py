"""A transaction of ``PostgresIdempotencyStore`` and the SQL session it lends (the inbox's atomic form).

Both work on one pooled connection inside one PostgreSQL transaction held for the ``async with``
block. ``record_once`` inserts the record first thing, so a concurrent transaction recording the
same key waits on the row until this one commits (then it sees the record) or rolls back (then
it records it itself). PostgreSQL aborts a transaction at its first failed statement; the
transaction remembers a failure so the store never reports an aborted transaction as committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lexigram.events.exceptions import IdempotencyStoreError
from lexigram.events.idempotency.checks import checked_key, checked_ttl
from lexigram.events.stores.postgres.driver import ConnectionLike
from lexigram.events.stores.postgres.idempotency_sql import IdempotencyStatements
from lexigram.events.stores.postgres.link import StoreLink
from lexigram.events.stores.postgres.session import PostgresSession, TransactionState

if TYPE_CHECKING:
    from lexigram.contracts.events.idempotency import IdempotencyTransactionProtocol
    from lexigram.contracts.events.subscriptions import ReadModelSessionProtocol

__all__ = ["PostgresIdempotencyTransaction", "PostgresInboxSession"]


def _ended() -> IdempotencyStoreError:
    return IdempotencyStoreError(
        "this inbox transaction has ended, so its session cannot be used any more; do all the work "
        "inside the `async with inbox.receive(event) as delivery:` block"
    )


class PostgresInboxSession(PostgresSession):
    """SQL on the transaction's connection (``$1``, ``$2``, ... placeholders); rows come back as tuples.

    The same shape as the checkpoint store's read-model session. A failing statement raises
    ``IdempotencyStoreError`` and leaves the transaction aborted: let the error propagate and
    everything rolls back.
    """

    failure = IdempotencyStoreError

    def _ended(self) -> IdempotencyStoreError:
        return _ended()


class PostgresIdempotencyTransaction:
    """One transaction of the idempotency store: a session, and records that commit with it."""

    def __init__(
        self, connection: ConnectionLike, link: StoreLink, statements: IdempotencyStatements
    ) -> None:
        self._connection = connection
        self._statements = statements
        self.state = TransactionState()
        self._session = PostgresInboxSession(connection, link, self.state)

    @property
    def session(self) -> PostgresInboxSession:
        """SQL on the store's database inside this transaction."""
        return self._session

    async def record_once(self, key: str, fingerprint: str, ttl_seconds: float | None) -> bool:
        """Record ``key`` as done in this transaction; False when a live record already exists."""
        key = checked_key(key)
        fingerprint = checked_key(fingerprint, "the fingerprint")
        ttl = checked_ttl(ttl_seconds, "ttl_seconds")
        rows = await self._session.fetch(self._statements.record_once, key, fingerprint, ttl)
        return bool(rows)


if TYPE_CHECKING:

    def _satisfies_the_protocols(
        transaction: PostgresIdempotencyTransaction, session: PostgresInboxSession
    ) -> tuple[IdempotencyTransactionProtocol, ReadModelSessionProtocol]:
        return transaction, session
