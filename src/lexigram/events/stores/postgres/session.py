"""``PostgresSession``: SQL lent on the connection of a transaction a PostgreSQL store holds.

The checkpoint store lends one to projections and the idempotency store to inbox consumers.
PostgreSQL aborts a transaction at its first failed statement, so the session records a failure
in the transaction's ``TransactionState``; the store then refuses to report the block as
committed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar, Protocol, TypeVar

from lexigram.contracts.exceptions import LexigramError
from lexigram.events.exceptions import EventStoreError
from lexigram.events.stores.postgres.driver import ConnectionLike, describe
from lexigram.events.stores.postgres.link import StoreLink

__all__ = ["PostgresSession", "TransactionState", "lent_transaction", "shortened_sql"]

T = TypeVar("T")

_SHOWN_SQL = 200
"""Characters of a failed statement quoted in the error."""


def shortened_sql(sql: str) -> str:
    """The statement on one line, cut to a length an error message can quote."""
    text = " ".join(sql.split())
    return text if len(text) <= _SHOWN_SQL else text[: _SHOWN_SQL - 3] + "..."


class TransactionState:
    """Whether the transaction's block is still running, and whether one of its statements failed."""

    def __init__(self) -> None:
        self.open = True
        self.failed = False


class PostgresSession:
    """SQL on the transaction's connection (``$1``, ``$2``, ... placeholders); rows come back as tuples.

    A failing statement raises the store's error (``failure``; the driver's error is its
    ``__cause__``) and leaves the PostgreSQL transaction aborted: let the error propagate and the
    whole transaction rolls back. Subclasses name the error and what ended use raises.
    """

    failure: ClassVar[type[LexigramError]]
    """The store's error for a failed statement."""
    statement_kind: ClassVar[str] = "a statement"
    """How errors name the statements of this session."""

    def __init__(self, connection: ConnectionLike, link: StoreLink, state: TransactionState) -> None:
        self._connection = connection
        self._link = link
        self._state = state

    def _ended(self) -> LexigramError:
        """The error for use after the transaction's block ended."""
        raise NotImplementedError

    async def execute(self, sql: str, *parameters: Any) -> None:
        """Run one statement."""
        await self._run(sql, lambda: self._connection.execute(sql, *parameters))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters (one batch, one round trip)."""
        batch = [tuple(row) for row in rows]
        await self._run(sql, lambda: self._connection.executemany(sql, batch))

    async def fetch(self, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""
        rows = await self._run(sql, lambda: self._connection.fetch(sql, *parameters))
        return [tuple(row) for row in rows]

    async def _run(self, sql: str, statement: Callable[[], Awaitable[T]]) -> T:
        if not self._state.open:
            raise self._ended()
        driver = self._link.driver
        try:
            return await statement()
        except (OSError, TimeoutError, driver.PostgresError, driver.InterfaceError) as exc:
            self._state.failed = True
            raise self.failure(
                f"{self.statement_kind} failed on PostgreSQL at {self._link.pool.server}: {describe(exc)} "
                f"(statement: {shortened_sql(sql)})",
                details={"server": str(self._link.pool.server), "sqlstate": getattr(exc, "sqlstate", None)},
            ) from exc


class _Lending(Protocol):
    """A store transaction object: it carries the ``TransactionState`` its session shares."""

    state: TransactionState


L = TypeVar("L", bound=_Lending)


@asynccontextmanager
async def lent_transaction(
    link: StoreLink,
    build: Callable[[ConnectionLike], L],
    *,
    name: str,
    lost: str,
    failure: type[LexigramError],
) -> AsyncIterator[L]:
    """Hold one PostgreSQL transaction on one pooled connection for a block, lending ``build(connection)``.

    When the block raises, everything rolls back and the exception propagates unchanged. When a
    statement failed inside the block but the block did not raise, the transaction commits only
    if the block recovered it (with a savepoint); otherwise it rolls back and ``failure`` says
    that nothing of it (``lost``) was committed. Driver errors become ``failure``. ``name`` names
    the transaction in messages ("checkpoint transaction").
    """
    raised: BaseException | None = None
    try:
        await link.ensure_connected()
        async with link.pool.connection() as connection:
            database_transaction: Any = connection.transaction()
            async with link.failures(f"begin a {name}", writing=True):
                await database_transaction.start()
            transaction = build(connection)
            try:
                yield transaction
            except BaseException as exc:
                raised = exc
                transaction.state.open = False
                with contextlib.suppress(Exception):  # the pool discards a connection it cannot reset
                    await database_transaction.rollback()
                raise
            transaction.state.open = False
            if transaction.state.failed and not await _usable(link, connection, name):
                with contextlib.suppress(Exception):
                    await database_transaction.rollback()
                raise failure(
                    f"a statement of this {name} failed and PostgreSQL aborted the transaction, so "
                    f"nothing of it was committed ({lost}); let the statement's error propagate out "
                    "of the block instead of catching it"
                )
            async with link.failures(f"commit a {name}", writing=True):
                await database_transaction.commit()
    except EventStoreError as exc:
        if exc is raised:
            raise
        raise failure(exc.message, details=exc.details) from exc


async def _usable(link: StoreLink, connection: ConnectionLike, name: str) -> bool:
    """Whether the open transaction still accepts statements (it does not after a failed one)."""
    async with link.failures(f"check a {name} before its commit", writing=True):
        try:
            await connection.fetchval("SELECT 1")
        except link.driver.InFailedSQLTransactionError:
            return False
    return True
