"""``SqliteSession``: SQL lent on a SQLite store's connection inside the transaction it holds.

The checkpoint store lends one to projections (a read model that commits with its checkpoint)
and the idempotency store to inbox consumers (rows that commit with the inbox record). Every
statement runs on the store's worker thread, in the order given, so a statement of any cost
never blocks the event loop. Once the transaction's block ends, the session refuses use.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar, TypeVar

from lexigram.contracts.exceptions import LexigramError
from lexigram.events.exceptions import EventStoreError
from lexigram.events.stores.sqlite.database import HeldTransaction, SqliteDatabase

__all__ = ["SqliteSession", "TransactionLender", "shortened_sql"]

T = TypeVar("T")
L = TypeVar("L")

_SHOWN_SQL = 200
"""Characters of a failed statement quoted in the error."""


def shortened_sql(sql: str) -> str:
    """The statement on one line, cut to a length an error message can quote."""
    text = " ".join(sql.split())
    return text if len(text) <= _SHOWN_SQL else text[: _SHOWN_SQL - 3] + "..."


class SqliteSession:
    """SQL on the store's connection, inside the open transaction (``?`` placeholders).

    ``execute``, ``executemany`` and ``fetch`` (rows as tuples). A failing statement raises the
    store's error (``failure``; the ``sqlite3`` error is its ``__cause__``): let it propagate and
    the whole transaction rolls back. Subclasses name the error and what ended use raises.
    """

    failure: ClassVar[type[LexigramError]]
    """The store's error for a failed statement."""
    statement_kind: ClassVar[str] = "a statement"
    """How errors name the statements of this session."""

    def __init__(self, held: HeldTransaction, database: str) -> None:
        self._held = held
        self._database = database

    def _ended(self) -> LexigramError:
        """The error for use after the transaction's block ended."""
        raise NotImplementedError

    async def execute(self, sql: str, *parameters: Any) -> None:
        """Run one statement."""
        await self._run(sql, lambda c: c.execute(sql, parameters).close())

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters."""
        batch = [tuple(row) for row in rows]  # read here: a generator never runs on the worker thread
        await self._run(sql, lambda c: c.executemany(sql, batch).close(), pages=1 + len(batch) // 16)

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
            raise self._ended()
        try:
            return await self._held.run(work, pages=pages)
        except sqlite3.Error as exc:
            raise self.failure(
                f"{self.statement_kind} failed on the SQLite database {self._database}: {exc} "
                f"(statement: {shortened_sql(sql)})",
                details={"database": self._database},
            ) from exc


class TransactionLender:
    """Lends one ``BEGIN IMMEDIATE`` transaction of a store's database per block, and refuses nesting.

    The store's own methods wait for a held transaction to end, so calling them from the task
    that holds one would wait for ever: ``refuse_inside()`` raises ``failure`` with ``nesting``
    instead. Database errors of the transaction itself become ``failure`` too.
    """

    def __init__(self, db: SqliteDatabase, failure: type[LexigramError], nesting: str) -> None:
        self._db = db
        self._failure = failure
        self._nesting = nesting
        self._holder: asyncio.Task[object] | None = None

    def refuse_inside(self) -> None:
        """Raise when the current task holds this store's transaction."""
        if self._holder is not None and self._holder is asyncio.current_task():
            raise self._failure(self._nesting)

    @asynccontextmanager
    async def lend(self, build: Callable[[HeldTransaction], L]) -> AsyncIterator[L]:
        """Hold a transaction for the block, lending ``build(held)``; it commits when the block ends.

        When the block raises, everything rolls back and the exception propagates unchanged.
        """
        self.refuse_inside()
        raised: BaseException | None = None
        try:
            async with self._db.transaction() as held:
                self._holder = asyncio.current_task()
                try:
                    yield build(held)
                except BaseException as exc:
                    raised = exc
                    raise
                finally:
                    self._holder = None
        except EventStoreError as exc:
            if exc is raised:
                raise
            raise self._failure(exc.message, details=exc.details) from exc
