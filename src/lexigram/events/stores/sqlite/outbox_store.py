"""``SqliteOutboxStore``: the outbox rows of a SQLite event store, for relays to claim and complete.

The rows live in the event store's file (``outbox_table``) and are written by the store's appends
in the same transaction as the events. A claim is one ``BEGIN IMMEDIATE`` transaction, so claims
of relays in several processes never overlap: SQLite lets one writer in at a time.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from lexigram.contracts.events.outbox import OutboxEntry, OutboxFailure, OutboxMessage
from lexigram.events.stores.outbox_checks import (
    checked_claim,
    checked_completion,
    checked_limit,
    checked_positions,
)
from lexigram.events.stores.sqlite.database import SqliteDatabase
from lexigram.events.stores.sqlite.outbox_sql import OutboxSql

__all__ = ["SqliteOutboxStore"]

Decode = Callable[[bytes | str, int, int], Any]


class SqliteOutboxStore:
    """The outbox of one ``SqliteEventStore`` (get it as ``store.outbox``)."""

    def __init__(self, db: SqliteDatabase, sql: OutboxSql, decode: Decode) -> None:
        self._db = db
        self._sql = sql
        self._decode = decode

    async def claim(self, worker_id: str, limit: int, claim_ttl: float) -> list[OutboxMessage]:
        """Claim up to ``limit`` publishable rows for ``claim_ttl`` seconds, oldest first."""
        checked_claim(worker_id, limit, claim_ttl)
        sql = self._sql

        def claim(connection: sqlite3.Connection) -> tuple[list[Any], dict[int, int]]:
            now = time.time()
            heads = [row[0] for row in connection.execute(sql.heads, {"now": now, "limit": limit})]
            if not heads:
                return [], {}
            claimed = connection.execute(
                sql.claim_rows, (worker_id, now + claim_ttl, json.dumps(heads), limit)
            ).fetchall()
            attempts: dict[int, int] = dict(claimed)
            rows = connection.execute(sql.claimed_events, (json.dumps(sorted(attempts)),)).fetchall()
            return rows, attempts

        rows, attempts = await self._db.write(claim, pages=2 + limit // 16)
        decode = self._decode
        messages = [
            OutboxMessage(position, stream_id, version, decode(data, position, version), attempts[position])
            for position, version, data, stream_id in rows
        ]
        if len(messages) < len(attempts):
            await self._drop_orphans(worker_id, attempts.keys() - {m.position for m in messages})
        return messages

    async def _drop_orphans(self, worker_id: str, positions: set[int]) -> None:
        """Remove rows whose events were deleted (compacted or erased): there is nothing to publish."""
        await self.complete(worker_id, sorted(positions))

    async def complete(
        self,
        worker_id: str,
        published: Sequence[int],
        failed: Sequence[OutboxFailure] = (),
        released: Sequence[int] = (),
    ) -> None:
        """Remove ``published``, reschedule or park ``failed``, give back ``released``: one transaction."""
        checked_completion(worker_id, published, failed, released)
        if not (published or failed or released):
            return
        sql = self._sql

        def complete(connection: sqlite3.Connection) -> None:
            now = time.time()
            stamp = datetime.now(UTC).isoformat()
            if published:
                connection.executemany(sql.published, [(p, worker_id) for p in published])
            if failed:
                connection.executemany(
                    sql.failed,
                    [
                        (
                            f.error,
                            now + (f.retry_in or 0.0),
                            stamp if f.retry_in is None else None,
                            f.position,
                            worker_id,
                        )
                        for f in failed
                    ],
                )
            if released:
                connection.executemany(sql.released, [(p, worker_id) for p in released])

        await self._db.write(complete, pages=2 + (len(published) + len(failed) + len(released)) // 16)

    async def pending_count(self) -> int:
        """How many rows wait to be published (parked rows included)."""
        sql = self._sql.pending_count
        return int(await self._db.read(lambda c: c.execute(sql).fetchone()[0]))

    async def list_parked(self, limit: int = 100) -> list[OutboxEntry]:
        """The parked rows, oldest first."""
        checked_limit(limit)
        sql = self._sql.parked
        rows = await self._db.read(lambda c: c.execute(sql, (limit,)).fetchall())
        return [
            OutboxEntry(position, stream_id, event_type, attempts, error, datetime.fromisoformat(parked))
            for position, stream_id, event_type, attempts, error, parked in rows
        ]

    async def retry_parked(self, positions: Sequence[int] | None = None) -> int:
        """Make parked rows (all, or those at ``positions``) publishable again; return how many."""
        sql = self._sql
        if positions is None:
            return int(await self._db.write(lambda c: c.execute(sql.retry_all).rowcount))
        chosen = [(p,) for p in checked_positions(positions)]

        def retry(connection: sqlite3.Connection) -> int:
            return sum(connection.execute(sql.retry_one, row).rowcount for row in chosen)

        return int(await self._db.write(retry))

    async def skip_parked(self, positions: Sequence[int]) -> int:
        """Drop parked rows without publishing them; return how many."""
        sql = self._sql
        chosen = [(p,) for p in checked_positions(positions)]

        def skip(connection: sqlite3.Connection) -> int:
            return sum(connection.execute(sql.skip_one, row).rowcount for row in chosen)

        return int(await self._db.write(skip))
