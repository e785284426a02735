"""A transaction of ``SqliteIdempotencyStore`` and the SQL session it lends (the inbox's atomic form).

Both work on the store's connection inside one ``BEGIN IMMEDIATE`` transaction held for the
``async with`` block, so a consumer's own rows and the inbox record commit together. Every
statement runs on the store's worker thread, in order. Once the block ends, both refuse use.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lexigram.contracts.events.idempotency import RecordStatus
from lexigram.events.exceptions import IdempotencyStoreError
from lexigram.events.idempotency.checks import checked_key, checked_ttl
from lexigram.events.stores.sqlite.database import HeldTransaction
from lexigram.events.stores.sqlite.idempotency_sql import IdempotencySql, expiry
from lexigram.events.stores.sqlite.session import SqliteSession

if TYPE_CHECKING:
    from lexigram.contracts.events.idempotency import IdempotencyTransactionProtocol
    from lexigram.contracts.events.subscriptions import ReadModelSessionProtocol

__all__ = ["SqliteIdempotencyTransaction", "SqliteInboxSession"]


def _ended() -> IdempotencyStoreError:
    return IdempotencyStoreError(
        "this inbox transaction has ended, so its session cannot be used any more; do all the work "
        "inside the `async with inbox.receive(event) as delivery:` block"
    )


class SqliteInboxSession(SqliteSession):
    """SQL on the idempotency store's connection inside the open transaction (``?`` placeholders).

    The same shape as the checkpoint store's read-model session. A failing statement raises
    ``IdempotencyStoreError``; let it propagate and the whole transaction rolls back.
    """

    failure = IdempotencyStoreError

    def _ended(self) -> IdempotencyStoreError:
        return _ended()


class SqliteIdempotencyTransaction:
    """One write transaction of the idempotency store: a session, and records that commit with it."""

    def __init__(self, held: HeldTransaction, sql: IdempotencySql, database: str) -> None:
        self._held = held
        self._sql = sql
        self._session = SqliteInboxSession(held, database)

    @property
    def session(self) -> SqliteInboxSession:
        """SQL on the store's database inside this transaction."""
        return self._session

    async def record_once(self, key: str, fingerprint: str, ttl_seconds: float | None) -> bool:
        """Record ``key`` as done, in this transaction; False when a live record already exists.

        The transaction holds the database's write lock, so of two transactions recording the
        same key, the second sees the first's record once the first commits.
        """
        key = checked_key(key)
        fingerprint = checked_key(fingerprint, "the fingerprint")
        ttl = checked_ttl(ttl_seconds, "ttl_seconds")
        sql = self._sql

        def record(connection: sqlite3.Connection) -> bool:
            now = time.time()
            if connection.execute(sql.live, (key, now)).fetchone() is not None:
                return False
            created = datetime.fromtimestamp(now, UTC).isoformat()
            values = (
                key,
                fingerprint,
                RecordStatus.COMPLETED.value,
                "inbox",
                "null",
                created,
                expiry(ttl, now),
            )
            connection.execute(sql.put, values).close()
            return True

        if not self._held.is_open:
            raise _ended()
        try:
            return await self._held.run(record)
        except sqlite3.Error as exc:
            raise IdempotencyStoreError(f"could not record the idempotency key {key!r}: {exc}") from exc


if TYPE_CHECKING:

    def _satisfies_the_protocols(
        transaction: SqliteIdempotencyTransaction, session: SqliteInboxSession
    ) -> tuple[IdempotencyTransactionProtocol, ReadModelSessionProtocol]:
        return transaction, session
