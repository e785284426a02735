"""A transaction of ``PostgresIdempotencyStore`` and the SQL session it lends (the inbox's atomic form).

Both work on one pooled connection inside one PostgreSQL transaction held for the ``async with``
block. ``record_once`` inserts the record first thing, so a concurrent transaction recording the
same key waits on the row until this one commits (then it sees the record) or rolls back (then
it records it itself). PostgreSQL aborts a transaction at its first failed statement; the
transaction remembers a failure so the store never reports an aborted transaction as committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from lexigram.events.exceptions import IdempotencyStoreError
from lexigram.events.idempotency.checks import checked_key, checked_ttl
from lexigram.events.stores.postgres.driver import ConnectionLike, describe
from lexigram.events.stores.postgres.idempotency_sql import IdempotencyStatements
from lexigram.events.stores.postgres.link import StoreLink

if TYPE_CHECKING:
    from lexigram.contracts.events.idempotency import IdempotencyTransactionProtocol
    from lexigram.contracts.events.subscriptions import ReadModelSessionProtocol

__all__ = ["PostgresIdempotencyTransaction", "PostgresSession", "TransactionState"]

T = TypeVar("T")

_SHOWN_SQL = 200


def _shortened(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= _SHOWN_SQL else text[: _SHOWN_SQL - 3] + "..."


class TransactionState:
    """Whether the transaction's block is still running, and whether one of its statements failed."""

    def __init__(self) -> None:
        self.open = True
        self.failed = False


def _ended() -> IdempotencyStoreError:
    return IdempotencyStoreError(
        "this inbox transaction has ended, so its session cannot be used any more; do all the work "
        "inside the `async with inbox.receive(event) as delivery:` block"
    )


class PostgresSession:
    """SQL on the transaction's connection (``$1``, ``$2``, ... placeholders); rows come back as tuples.

    The same shape as the checkpoint store's read-model session. A failing statement raises
    ``IdempotencyStoreError`` (the driver's error is its ``__cause__``) and leaves the transaction
    aborted: let the error propagate and everything rolls back.
    """

    def __init__(self, connection: ConnectionLike, link: StoreLink, state: TransactionState) -> None:
        self._connection = connection
        self._link = link
        self._state = state

    async def execute(self, sql: str, *parameters: Any) -> None:
        """Run one statement."""
        await self._run(sql, lambda: self._connection.execute(sql, *parameters))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters (one batch)."""
        batch = [tuple(row) for row in rows]
        await self._run(sql, lambda: self._connection.executemany(sql, batch))

    async def fetch(self, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""
        rows = await self._run(sql, lambda: self._connection.fetch(sql, *parameters))
        return [tuple(row) for row in rows]

    async def _run(self, sql: str, statement: Callable[[], Awaitable[T]]) -> T:
        if not self._state.open:
            raise _ended()
        driver = self._link.driver
        try:
            return await statement()
        except (OSError, TimeoutError, driver.PostgresError, driver.InterfaceError) as exc:
            self._state.failed = True
            raise IdempotencyStoreError(
                f"a statement failed on PostgreSQL at {self._link.pool.server}: {describe(exc)} "
                f"(statement: {_shortened(sql)})",
                details={"server": str(self._link.pool.server), "sqlstate": getattr(exc, "sqlstate", None)},
            ) from exc


class PostgresIdempotencyTransaction:
    """One transaction of the idempotency store: a session, and records that commit with it."""

    def __init__(
        self, connection: ConnectionLike, link: StoreLink, statements: IdempotencyStatements
    ) -> None:
        self._connection = connection
        self._statements = statements
        self.state = TransactionState()
        self._session = PostgresSession(connection, link, self.state)

    @property
    def session(self) -> PostgresSession:
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
        transaction: PostgresIdempotencyTransaction, session: PostgresSession
    ) -> tuple[IdempotencyTransactionProtocol, ReadModelSessionProtocol]:
        return transaction, session
