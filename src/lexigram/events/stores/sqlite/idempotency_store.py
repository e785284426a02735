"""``SqliteIdempotencyStore``: idempotency keys and inbox records in a SQLite database.

One table, ``idempotency_table`` (one row per key), created by the store's own versioned
migrations (ledger ``<idempotency_table>_schema_migrations``). Every claim runs in one
``BEGIN IMMEDIATE`` transaction, so two processes (two stores on one file) claiming the same key
are serialised by SQLite's write lock: exactly one of them gets it.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from lexigram.contracts.events.idempotency import ClaimOutcome, IdempotencyRecord
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import SqliteConfig
from lexigram.events.exceptions import IdempotencyStoreError
from lexigram.events.idempotency.checks import (
    checked_key,
    checked_result,
    checked_seconds,
    checked_token,
    checked_ttl,
)
from lexigram.events.stores.failures import reported_as
from lexigram.events.stores.sqlite.database import SqliteDatabase, reject_provider
from lexigram.events.stores.sqlite.idempotency_schema import idempotency_schema
from lexigram.events.stores.sqlite.idempotency_sql import IdempotencySql, claim_on, expiry, record_from_row
from lexigram.events.stores.sqlite.idempotency_transaction import SqliteIdempotencyTransaction
from lexigram.events.stores.sqlite.lifecycle import SqliteStoreLifecycle
from lexigram.events.stores.sqlite.session import TransactionLender

if TYPE_CHECKING:
    from lexigram.contracts.events.idempotency import TransactionalIdempotencyStoreProtocol

__all__ = ["SqliteIdempotencyStore"]


class SqliteIdempotencyStore(SqliteStoreLifecycle):
    """Idempotency records in a SQLite database file (usually the event store's).

    Example::

        store = SqliteIdempotencyStore(SqliteConfig(database="app.db"))
        bus = CommandBus(idempotency_store=store)
        inbox = Inbox(store, consumer="billing")   # inbox.receive(event): exactly-once with your SQL

    ``connect()`` opens the store's own connection and, with ``auto_create_tables``, creates or
    upgrades the table; the first operation connects too. No call blocks the event loop.
    ``transaction()`` holds the file's write lock for its block: keep blocks short, and do not
    call the store's other methods from inside one (they wait for it; that raises
    ``IdempotencyStoreError``). ``provider`` must be None.
    """

    def __init__(self, config: SqliteConfig | None = None, provider: object | None = None) -> None:
        reject_provider(provider, "SqliteIdempotencyStore")
        if config is not None and not isinstance(config, SqliteConfig):
            raise ConfigurationError(f"config must be a SqliteConfig, got {type(config).__name__}")
        self.config = config if config is not None else SqliteConfig()
        self._db = SqliteDatabase(
            self.config, idempotency_schema(self.config.idempotency_table), "idempotency store"
        )
        self._sql = IdempotencySql.render(self.config.idempotency_table)
        self._lender = TransactionLender(
            self._db,
            IdempotencyStoreError,
            "this task holds a transaction of this SQLite idempotency store, and the store's own "
            "methods wait for that transaction to end: inside the block use only the transaction "
            "(its session and record_once); transactions do not nest",
        )

    async def claim(self, key: str, fingerprint: str, token: str, lease_seconds: float) -> ClaimOutcome:
        """Claim ``key`` when it is free (absent or expired); otherwise return its live record."""
        key, token = checked_key(key), checked_token(token)
        fingerprint = checked_key(fingerprint, "the fingerprint")
        lease = checked_seconds(lease_seconds, "lease_seconds")
        self._lender.refuse_inside()
        sql = self._sql
        async with reported_as(IdempotencyStoreError):
            return await self._db.write(lambda c: claim_on(c, sql, key, fingerprint, token, lease))

    async def complete(self, key: str, token: str, result: str, ttl_seconds: float | None) -> bool:
        """Record the result of the claim ``token`` holds; False when it holds none."""
        key, token, result = checked_key(key), checked_token(token), checked_result(result)
        ttl = checked_ttl(ttl_seconds, "ttl_seconds")
        self._lender.refuse_inside()
        statement = self._sql.complete

        def complete(connection: sqlite3.Connection) -> bool:
            now = time.time()
            return connection.execute(statement, (result, expiry(ttl, now), key, token, now)).rowcount > 0

        async with reported_as(IdempotencyStoreError):
            return await self._db.write(complete, pages=1 + len(result) // 4096)

    async def release(self, key: str, token: str) -> bool:
        """Delete the pending claim ``token`` holds; False when it holds none."""
        key, token = checked_key(key), checked_token(token)
        self._lender.refuse_inside()
        statement = self._sql.release
        async with reported_as(IdempotencyStoreError):
            return await self._db.write(lambda c: c.execute(statement, (key, token)).rowcount > 0)

    async def get(self, key: str) -> IdempotencyRecord | None:
        """The live record of ``key``, or None."""
        key = checked_key(key)
        self._lender.refuse_inside()
        statement = self._sql.live
        async with reported_as(IdempotencyStoreError):
            row = await self._db.read(lambda c: c.execute(statement, (key, time.time())).fetchone())
        return None if row is None else record_from_row(row)

    async def purge_expired(self) -> int:
        """Delete the expired records; return how many."""
        self._lender.refuse_inside()
        statement = self._sql.purge
        async with reported_as(IdempotencyStoreError):
            return await self._db.write(lambda c: c.execute(statement, (time.time(),)).rowcount, pages=8)

    async def close(self) -> None:
        """Close the connection; a later operation opens it again. Idempotent."""
        self._lender.refuse_inside()
        await self._db.close()

    def transaction(self) -> AbstractAsyncContextManager[SqliteIdempotencyTransaction]:
        """One ``BEGIN IMMEDIATE`` transaction: the caller's SQL and ``record_once`` commit together.

        When the block raises, everything rolls back and the exception propagates unchanged.
        """
        return self._lender.lend(lambda held: SqliteIdempotencyTransaction(held, self._sql, self.database))


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: SqliteIdempotencyStore) -> TransactionalIdempotencyStoreProtocol:
        return store
