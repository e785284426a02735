"""``SqliteDatabase``: one store's connection to a SQLite database, used without blocking the event loop.

How it keeps the loop free:

* Statements run **inline** on the loop thread, one operation at a time per store (an
  ``asyncio.Lock``). In WAL mode with ``synchronous=NORMAL`` a read or a small commit takes
  microseconds, less than handing it to a thread would (measured: an executor round trip costs
  about as much as a whole single-event append).
* **Locks never block.** SQLite's own busy timeout sleeps inside the C call, on the loop thread, so
  it is set to 0: a write starts with ``BEGIN IMMEDIATE`` and, when another connection or process
  holds the write lock, the store backs off with ``asyncio.sleep`` (1 ms doubling to 50 ms, with
  jitter) and tries again, for at most ``busy_timeout_ms`` in total.
* Work that **waits for the disk** runs on the store's ``SqliteWorker`` thread: commits that fsync
  (``synchronous`` FULL or EXTRA, or a rollback-journal mode), large appends, WAL checkpoints (see
  ``WalPacer``) and the final close.
* **Long reads yield.** Rows are fetched and decoded in chunks of 256 from one statement (one
  consistent snapshot), with a pause for other tasks between chunks.
* **Held transactions** (``transaction()``) stay open across awaits, for work that mixes the
  store's statements with a caller's (a projection's read model written with its checkpoint).
  Beginning backs off like any write; the statements inside, of a cost only the caller knows, and
  the commit run on the worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from lexigram.contracts.exceptions import ConfigurationError, LexigramError
from lexigram.events.config import SqliteConfig
from lexigram.events.exceptions import (
    EventLoadError,
    EventPersistenceError,
    EventStoreConnectionError,
    EventStoreError,
    SchemaError,
)
from lexigram.events.stores.sqlite.schema import Schema, apply_pending, check_not_newer, schema_version
from lexigram.events.stores.sqlite.worker import SqliteWorker, WalPacer

__all__ = ["FETCH_CHUNK", "HeldTransaction", "SqliteDatabase", "in_transaction", "reject_provider"]

T = TypeVar("T")

logger = logging.getLogger("lexigram.events.stores.sqlite")

FETCH_CHUNK = 256
"""Rows fetched and converted between two pauses of a long read."""

_JOURNAL_MODES = frozenset({"DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF"})
_FIRST_BACKOFF = 0.001
_MAX_BACKOFF = 0.05
_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def in_transaction(connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT``; roll back if anything raises."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = work(connection)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return result


def reject_provider(provider: object, store: str) -> None:
    """Refuse a ``provider``: the SQLite stores open their own connection from their config."""
    if provider is not None:
        raise ConfigurationError(
            f"{store} does not take a provider in this version: it opens its own connection to "
            "config.database (pass provider=None and set SqliteConfig(database=...))"
        )


class HeldTransaction:
    """A write transaction that ``SqliteDatabase.transaction`` holds open for a block.

    ``run`` executes work with the connection on the store's worker thread, in the order it is
    given, so statements of any cost never block the event loop. ``pages`` adds up the caller's
    estimate of the database pages written, which paces the store's WAL checkpoints.
    """

    def __init__(self, connection: sqlite3.Connection, worker: SqliteWorker) -> None:
        self._connection = connection
        self._worker = worker
        self._open = True
        self.pages = 1

    @property
    def is_open(self) -> bool:
        """True until the transaction commits or rolls back."""
        return self._open

    async def run(self, work: Callable[[sqlite3.Connection], T], *, pages: int = 1) -> T:
        """Run ``work(connection)`` on the worker thread inside the transaction; sqlite3 errors propagate."""
        if not self._open:
            raise EventPersistenceError("this SQLite transaction has ended; its connection is no longer lent")
        self.pages += pages
        connection = self._connection
        return await self._worker.run(lambda: work(connection))

    def end(self) -> None:
        """Stop lending the connection (the transaction is about to commit or roll back)."""
        self._open = False


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _BUSY


class SqliteDatabase:
    """The connection of one store: opening, the schema, and transactions that never block the loop.

    ``what`` names the store in error messages ("event store", "snapshot store").
    """

    def __init__(self, config: SqliteConfig, schema: Schema, what: str) -> None:
        journal_mode = config.journal_mode.upper()
        if journal_mode not in _JOURNAL_MODES:
            raise ConfigurationError(
                f"sqlite.journal_mode must be one of {', '.join(sorted(_JOURNAL_MODES))}, "
                f"got {config.journal_mode!r}"
            )
        self.config = config
        self.schema = schema
        self._what = what
        self._journal_mode = journal_mode
        self._connection: sqlite3.Connection | None = None
        self._ready = False
        self._lock = asyncio.Lock()
        self._opening = asyncio.Lock()
        self._worker = SqliteWorker(f"lexigram-sqlite-{schema.ledger}")
        self._wal: WalPacer | None = None
        self._commits_wait_for_disk = False
        self._on_disk = False
        self._page_size = 4096

    @property
    def page_size(self) -> int:
        """The database page size (known once connected)."""
        return self._page_size

    @property
    def database(self) -> str:
        """The database as configured (a path, ``:memory:`` or a ``file:`` URI)."""
        return self.config.database

    # --- opening and the schema ----------------------------------------------------------------

    async def connect(self) -> None:
        """Open the connection and bring the schema up to date (or check it, without auto-create)."""
        if self._ready:
            return
        async with self._opening, self._lock:
            if not self._ready:
                await self._prepare_schema(await self._open())
                self._ready = True

    async def _prepare_schema(self, connection: sqlite3.Connection) -> None:
        if self.config.auto_create_tables:
            await self._migrate(connection)
            return
        version = await self._read_on(connection, lambda c: schema_version(c, self.schema))
        check_not_newer(version, self.schema, self.database)
        if version < self.schema.latest:
            raise SchemaError(
                f"the {self._what} schema in {self.database} is at version {version}, and this version "
                f"of lexigram-events needs {self.schema.latest}: run `lexigram-events db upgrade` (or "
                "`db init` for a new database), or set sqlite.auto_create_tables: true"
            )

    async def migrate(self) -> list[int]:
        """Apply the migrations the database lacks; return the versions applied now."""
        async with self._opening, self._lock:
            applied = await self._migrate(await self._open())
            self._ready = True
            return applied

    async def _migrate(self, connection: sqlite3.Connection) -> list[int]:
        # A read first: an up-to-date database (possibly a read-only file) needs no write lock.
        version = await self._read_on(connection, lambda c: schema_version(c, self.schema))
        check_not_newer(version, self.schema, self.database)
        if version == self.schema.latest:
            return []
        return await self._write_on(connection, lambda c: apply_pending(c, self.schema, self.database))

    async def schema_version(self) -> int:
        """The schema version recorded in the database (0: never initialised)."""
        async with self._opening, self._lock:
            connection = await self._open()
            return await self._read_on(connection, lambda c: schema_version(c, self.schema))

    async def _open(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        connection = self._new_connection()
        try:
            await self._retry(lambda: self._configure(connection), EventStoreConnectionError)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _new_connection(self) -> sqlite3.Connection:
        database = self.database
        uri = database.startswith("file:")
        if not uri and database != ":memory:":
            folder = Path(database).expanduser().resolve().parent
            if not folder.is_dir():
                raise EventStoreConnectionError(
                    f"cannot open the SQLite database {database}: the folder {folder} does not exist; "
                    "create it or set sqlite.database to a path in an existing folder"
                )
        try:
            return sqlite3.connect(
                database, timeout=0, isolation_level=None, check_same_thread=False, uri=uri
            )
        except sqlite3.Error as exc:
            raise EventStoreConnectionError(
                f"cannot open the SQLite database {database}: {exc}; check the path and its permissions"
            ) from exc

    def _configure(self, connection: sqlite3.Connection) -> None:
        """Apply the configured pragmas and decide which work leaves the loop."""
        connection.execute("PRAGMA busy_timeout = 0")
        mode = str(connection.execute(f"PRAGMA journal_mode = {self._journal_mode}").fetchone()[0]).upper()
        connection.execute(f"PRAGMA synchronous = {self.config.synchronous}")
        self._page_size = int(connection.execute("PRAGMA page_size").fetchone()[0])
        on_disk = self._on_disk = connection.execute("PRAGMA database_list").fetchone()[2] != ""
        durable_commit = self.config.synchronous in ("FULL", "EXTRA")
        self._commits_wait_for_disk = on_disk and (
            durable_commit if mode == "WAL" else self.config.synchronous != "OFF"
        )
        if on_disk and mode == "WAL":
            connection.execute("PRAGMA wal_autocheckpoint = 0")
            self._wal = WalPacer()

    # --- operations ----------------------------------------------------------------------------

    async def write(
        self, work: Callable[[sqlite3.Connection], T], *, pages: int = 1, heavy: bool = False
    ) -> T:
        """Run ``work`` in a write transaction and return its result.

        ``pages`` estimates the database pages the transaction changes (it paces WAL checkpoints);
        ``heavy`` sends the transaction to the worker thread because it holds the loop too long.
        """
        if not self._ready:
            await self.connect()
        async with self._lock:
            connection = self._live()
            wal = self._wal
            if wal is not None and wal.due:
                await self._worker.run(lambda: wal.checkpoint(connection))
            result = await self._write_on(connection, work, heavy=heavy)
            if wal is not None:
                wal.wrote(pages)
        return result

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[HeldTransaction]:
        """Hold one write transaction for the block: ``BEGIN IMMEDIATE``, then ``COMMIT`` or ``ROLLBACK``.

        The store's other operations wait until the block ends, so never call them from inside
        it. Beginning backs off while another connection holds the write lock, as ``write`` does.
        """
        if not self._ready:
            await self.connect()
        async with self._lock:
            connection = self._live()
            wal = self._wal
            if wal is not None and wal.due:
                await self._worker.run(lambda: wal.checkpoint(connection))
            await self._retry(lambda: connection.execute("BEGIN IMMEDIATE"), EventPersistenceError)
            held = HeldTransaction(connection, self._worker)
            try:
                yield held
                held.end()
                await self._retry(
                    lambda: connection.execute("COMMIT"), EventPersistenceError, self._worker.run
                )
            except BaseException:
                held.end()
                await self._roll_back(connection)
                raise
            if wal is not None:
                wal.wrote(held.pages)

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run a short read and return its result."""
        if not self._ready:
            await self.connect()
        async with self._lock:
            return await self._read_on(self._live(), work)

    async def fetch(
        self, sql: str, parameters: Sequence[Any], convert: Callable[[list[Any]], list[T]]
    ) -> list[T]:
        """Run a query and return ``convert`` applied to its rows, chunk by chunk, pausing in between."""
        if not self._ready:
            await self.connect()
        async with self._lock:
            connection = self._live()
            backoff: _Backoff | None = None
            while True:
                try:
                    return await _fetch_in_chunks(connection, sql, parameters, convert)
                except sqlite3.Error as exc:
                    if not _is_busy(exc):
                        raise self._failure(exc, EventLoadError) from exc
                    backoff = backoff or _Backoff(self.config.busy_timeout_ms)
                    await backoff.pause(self._locked(exc, EventLoadError))

    async def close(self) -> None:
        """Close the connection (the next operation opens it again)."""
        async with self._opening, self._lock:
            connection, self._connection, self._ready = self._connection, None, False
            self._wal = None
            if connection is not None and self._on_disk:
                # The last connection to a file checkpoints and syncs as it closes: off the loop.
                await self._worker.run(connection.close)
            elif connection is not None:
                connection.close()
            self._worker.stop()

    # --- internals -----------------------------------------------------------------------------

    async def _roll_back(self, connection: sqlite3.Connection) -> None:
        """Roll back a held transaction; if even that fails, close the connection to free the write lock."""
        if not connection.in_transaction:
            return
        try:
            await self._worker.run(lambda: connection.execute("ROLLBACK"))
        except sqlite3.Error as exc:
            logger.error("SQLite ROLLBACK failed on %s (%s); closing the connection", self.database, exc)
            self._connection, self._ready, self._wal = None, False, None
            connection.close()

    def _live(self) -> sqlite3.Connection:
        if self._connection is None:
            raise EventStoreConnectionError(
                f"the SQLite {self._what} was closed while an operation waited; call connect() again"
            )
        return self._connection

    async def _write_on(
        self, connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], heavy: bool = False
    ) -> T:
        def transaction() -> T:
            return in_transaction(connection, work)

        if heavy or self._commits_wait_for_disk:
            return await self._retry(transaction, EventPersistenceError, self._worker.run)
        return await self._retry(transaction, EventPersistenceError)

    async def _read_on(self, connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
        return await self._retry(lambda: work(connection), EventLoadError)

    async def _retry(
        self,
        run: Callable[[], T],
        failure: type[EventStoreError],
        offload: Callable[[Callable[[], T]], Awaitable[T]] | None = None,
    ) -> T:
        """Run ``run`` (on the worker with ``offload``); retry with backoff while the database is locked."""
        backoff: _Backoff | None = None
        while True:
            try:
                if offload is None:
                    return run()
                return await offload(run)
            except sqlite3.Error as exc:
                if not _is_busy(exc):
                    raise self._failure(exc, failure) from exc
                backoff = backoff or _Backoff(self.config.busy_timeout_ms)
                await backoff.pause(self._locked(exc, failure))

    def _locked(self, exc: sqlite3.Error, failure: type[EventStoreError]) -> EventStoreError:
        return failure(
            f"the SQLite database {self.database} stayed locked by another connection for "
            f"sqlite.busy_timeout_ms={self.config.busy_timeout_ms} ({exc}); raise that setting, or find "
            "the process holding a long transaction on the file",
            details={"database": self.database},
        )

    def _failure(self, exc: sqlite3.Error, failure: type[EventStoreError]) -> LexigramError:
        text = str(exc)
        if "no such table" in text:
            return SchemaError(
                f"the {self._what} tables are missing from {self.database} ({text}): run "
                "`lexigram-events db init`, or set sqlite.auto_create_tables: true"
            )
        if isinstance(exc, sqlite3.DatabaseError) and (
            "not a database" in text or "malformed" in text or "unable to open" in text
        ):
            return EventStoreConnectionError(
                f"{self.database} is not a usable SQLite database ({text}); point sqlite.database at "
                "another file or restore this one from a backup",
                details={"database": self.database},
            )
        return failure(
            f"the SQLite {self._what} failed on {self.database}: {text}", details={"database": self.database}
        )


class _Backoff:
    """Waits between attempts on a locked database, within a total budget."""

    def __init__(self, budget_ms: int) -> None:
        self._deadline = time.monotonic() + budget_ms / 1000
        self._delay = _FIRST_BACKOFF

    async def pause(self, exhausted: EventStoreError) -> None:
        """Sleep before the next attempt; raise ``exhausted`` once the budget is spent."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise exhausted
        await asyncio.sleep(min(self._delay * (0.5 + random.random()), left))
        self._delay = min(self._delay * 2, _MAX_BACKOFF)


async def _fetch_in_chunks(
    connection: sqlite3.Connection,
    sql: str,
    parameters: Sequence[Any],
    convert: Callable[[list[Any]], list[T]],
) -> list[T]:
    cursor = connection.execute(sql, parameters)
    try:
        rows = cursor.fetchmany(FETCH_CHUNK)
        result = convert(rows)
        while len(rows) == FETCH_CHUNK:
            await asyncio.sleep(0)
            rows = cursor.fetchmany(FETCH_CHUNK)
            result.extend(convert(rows))
        return result
    finally:
        cursor.close()
