"""``PostgresOutboxStore``: the outbox rows of a PostgreSQL event store, for relays to claim and complete.

The rows live in ``outbox_table`` next to the events and are written by the event store's append
statement itself, so they commit (or roll back) with the events, also inside a caller's
transaction (``append_on``). Relays in any number of processes claim different streams at once
(``FOR UPDATE SKIP LOCKED``); see ``outbox_sql``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lexigram.contracts.events.outbox import OutboxEntry, OutboxFailure, OutboxMessage
from lexigram.events.stores.outbox_checks import (
    checked_claim,
    checked_completion,
    checked_limit,
    checked_positions,
)
from lexigram.events.stores.postgres.link import StoreLink
from lexigram.events.stores.postgres.outbox_sql import OutboxStatements

__all__ = ["PostgresOutboxStore"]

Decode = Callable[[bytes | str, int, int], Any]


class PostgresOutboxStore:
    """The outbox of one ``PostgresEventStore`` (get it as ``store.outbox``)."""

    def __init__(self, link: StoreLink, sql: OutboxStatements, decode: Decode) -> None:
        self._link = link
        self._sql = sql
        self._decode = decode

    async def claim(self, worker_id: str, limit: int, claim_ttl: float) -> list[OutboxMessage]:
        """Claim up to ``limit`` publishable rows for ``claim_ttl`` seconds, oldest first."""
        checked_claim(worker_id, limit, claim_ttl)
        async with self._link.connection("claim outbox rows", writing=True) as connection:
            rows = await connection.fetch(self._sql.claim, worker_id, limit, float(claim_ttl))
        decode = self._decode
        messages: list[OutboxMessage] = []
        orphans: list[int] = []
        for position, version, payload, stream_id, attempts in rows:
            if payload is None:
                orphans.append(position)  # the event was deleted: nothing to publish
                continue
            event = decode(payload, position, version)
            messages.append(OutboxMessage(position, stream_id, version, event, attempts))
        if orphans:
            await self.complete(worker_id, orphans)
        return messages

    async def complete(
        self,
        worker_id: str,
        published: Sequence[int],
        failed: Sequence[OutboxFailure] = (),
        released: Sequence[int] = (),
    ) -> None:
        """Remove ``published``, reschedule or park ``failed``, give back ``released``: one statement."""
        checked_completion(worker_id, published, failed, released)
        if not (published or failed or released):
            return
        arguments = (
            worker_id,
            list(published),
            [f.position for f in failed],
            [f.error for f in failed],
            [float(f.retry_in or 0.0) for f in failed],
            [f.retry_in is None for f in failed],
            list(released),
        )
        async with self._link.connection("complete outbox rows", writing=True) as connection:
            await connection.fetchval(self._sql.complete, *arguments)

    async def pending_count(self) -> int:
        """How many rows wait to be published (parked rows included)."""
        async with self._link.connection("count outbox rows", writing=False) as connection:
            return int(await connection.fetchval(self._sql.pending_count))

    async def list_parked(self, limit: int = 100) -> list[OutboxEntry]:
        """The parked rows, oldest first."""
        checked_limit(limit)
        async with self._link.connection("list parked outbox rows", writing=False) as connection:
            rows = await connection.fetch(self._sql.parked, limit)
        return [OutboxEntry(*row) for row in rows]

    async def retry_parked(self, positions: Sequence[int] | None = None) -> int:
        """Make parked rows (all, or those at ``positions``) publishable again; return how many."""
        async with self._link.connection("retry parked outbox rows", writing=True) as connection:
            if positions is None:
                return int(await connection.fetchval(self._sql.retry_all))
            return int(await connection.fetchval(self._sql.retry_some, checked_positions(positions)))

    async def skip_parked(self, positions: Sequence[int]) -> int:
        """Drop parked rows without publishing them; return how many."""
        chosen = checked_positions(positions)
        async with self._link.connection("skip parked outbox rows", writing=True) as connection:
            return int(await connection.fetchval(self._sql.skip_some, chosen))
