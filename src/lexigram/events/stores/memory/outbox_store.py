"""``InMemoryOutboxStore``: the outbox of an ``InMemoryEventStore``, with the durable stores' rules.

The store records the events of each append here as part of the append (nothing can fail in
between), and relays claim and complete rows exactly as on SQLite and PostgreSQL. It lives and
dies with the process, like the events themselves.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lexigram.contracts.events.outbox import OutboxEntry, OutboxFailure, OutboxMessage
from lexigram.events.stores.outbox_checks import (
    checked_claim,
    checked_completion,
    checked_limit,
    checked_positions,
)

__all__ = ["InMemoryOutboxStore"]


@dataclass(slots=True)
class _Row:
    position: int
    stream_id: str
    version: int
    event: Any
    attempts: int = 0
    available_at: float = 0.0
    claimed_by: str | None = None
    claimed_until: float = 0.0
    last_error: str | None = None
    parked_at: datetime | None = None


class InMemoryOutboxStore:
    """The outbox of one ``InMemoryEventStore`` (get it as ``store.outbox``)."""

    def __init__(self) -> None:
        self._rows: dict[int, _Row] = {}
        self._streams: dict[str, list[int]] = {}  # each stream's row positions, oldest first

    def record(self, stored: Sequence[Any], stream_id: str, first_position: int, first_version: int) -> None:
        """Add one row per stored event of an append (called by the event store)."""
        positions = self._streams.setdefault(stream_id, [])
        for offset, event in enumerate(stored):
            position = first_position + offset
            self._rows[position] = _Row(position, stream_id, first_version + offset, event)
            positions.append(position)

    async def claim(self, worker_id: str, limit: int, claim_ttl: float) -> list[OutboxMessage]:
        """Claim up to ``limit`` publishable rows for ``claim_ttl`` seconds, oldest first."""
        checked_claim(worker_id, limit, claim_ttl)
        now = time.monotonic()
        heads: list[tuple[int, str]] = []
        for stream_id, positions in self._streams.items():
            head = self._rows[positions[0]]
            if head.parked_at is None and head.available_at <= now and head.claimed_until <= now:
                heads.append((head.position, stream_id))
        chosen = heapq.nsmallest(limit, heads)
        candidates = heapq.nsmallest(
            limit, (p for _, stream_id in chosen for p in self._streams[stream_id][:limit])
        )
        messages: list[OutboxMessage] = []
        for position in candidates:
            row = self._rows[position]
            row.claimed_by, row.claimed_until = worker_id, now + claim_ttl
            row.attempts += 1
            messages.append(OutboxMessage(position, row.stream_id, row.version, row.event, row.attempts))
        return messages

    async def complete(
        self,
        worker_id: str,
        published: Sequence[int],
        failed: Sequence[OutboxFailure] = (),
        released: Sequence[int] = (),
    ) -> None:
        """Remove ``published``, reschedule or park ``failed``, give back ``released``."""
        checked_completion(worker_id, published, failed, released)
        now = time.monotonic()
        for position in published:
            row = self._claimed(position, worker_id)
            if row is not None:
                self._remove(row)
        for failure in failed:
            row = self._claimed(failure.position, worker_id)
            if row is not None:
                row.claimed_by, row.claimed_until = None, 0.0
                row.last_error = failure.error
                row.available_at = now + (failure.retry_in or 0.0)
                row.parked_at = datetime.now(UTC) if failure.retry_in is None else None
        for position in released:
            row = self._claimed(position, worker_id)
            if row is not None:
                row.claimed_by, row.claimed_until = None, 0.0
                row.attempts = max(row.attempts - 1, 0)

    def _claimed(self, position: int, worker_id: str) -> _Row | None:
        row = self._rows.get(position)
        return row if row is not None and row.claimed_by == worker_id else None

    def _remove(self, row: _Row) -> None:
        del self._rows[row.position]
        positions = self._streams[row.stream_id]
        positions.remove(row.position)
        if not positions:
            del self._streams[row.stream_id]

    async def pending_count(self) -> int:
        """How many rows wait to be published (parked rows included)."""
        return len(self._rows)

    async def list_parked(self, limit: int = 100) -> list[OutboxEntry]:
        """The parked rows, oldest first."""
        checked_limit(limit)
        parked = sorted(p for p, row in self._rows.items() if row.parked_at is not None)[:limit]
        return [self._entry(self._rows[p]) for p in parked]

    @staticmethod
    def _entry(row: _Row) -> OutboxEntry:
        event_type = str(getattr(row.event, "event_type", type(row.event).__name__))
        return OutboxEntry(
            row.position, row.stream_id, event_type, row.attempts, row.last_error, row.parked_at
        )

    async def retry_parked(self, positions: Sequence[int] | None = None) -> int:
        """Make parked rows (all, or those at ``positions``) publishable again; return how many."""
        chosen = list(self._rows) if positions is None else checked_positions(positions)
        retried = 0
        for position in chosen:
            row = self._rows.get(position)
            if row is not None and row.parked_at is not None:
                row.parked_at, row.available_at, row.attempts = None, 0.0, 0
                retried += 1
        return retried

    async def skip_parked(self, positions: Sequence[int]) -> int:
        """Drop parked rows without publishing them; return how many."""
        skipped = 0
        for position in checked_positions(positions):
            row = self._rows.get(position)
            if row is not None and row.parked_at is not None:
                self._remove(row)
                skipped += 1
        return skipped

    def clear(self) -> None:
        """Drop every row (the event store was cleared)."""
        self._rows.clear()
        self._streams.clear()
