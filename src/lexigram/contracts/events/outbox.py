"""The transactional outbox: events stored with an append wait in the outbox until a relay publishes them.

An event store with an outbox writes one outbox row per appended event in the append's own
transaction, so an event is never published without being stored nor stored without being
published. A relay claims rows (``OutboxStoreProtocol.claim``), hands their events to an
``OutboxPublisherProtocol`` (the event bus today, a message broker tomorrow) and reports back
(``OutboxStoreProtocol.complete``): published rows leave the outbox, failed ones are retried later
or parked, and the rows it did not try are given back.

Order: within a stream, events are published in stream order. A claim only ever starts at the
oldest outbox row of a stream, so a failed or parked event holds back the later events of its own
stream and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

__all__ = [
    "OutboxEntry",
    "OutboxFailure",
    "OutboxMessage",
    "OutboxPublisherProtocol",
    "OutboxStoreProtocol",
]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """An outbox row a relay claimed, with its event ready to publish."""

    position: int
    """The event's global position (the outbox row's key)."""
    stream_id: str
    """The stream the event belongs to."""
    version: int
    """The event's version in its stream."""
    event: Any
    """The stored event, as its original class, stamped with its position and version."""
    attempts: int
    """How many times the row has been claimed, this claim included."""


@dataclass(frozen=True, slots=True)
class OutboxFailure:
    """A claimed row whose publication failed: retry it after ``retry_in`` seconds, or park it."""

    position: int
    """The row's global position."""
    error: str
    """Why the publication failed, as text."""
    retry_in: float | None
    """Seconds until the row may be claimed again; None parks it until an operator retries it."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An outbox row as operators see it (pending or parked)."""

    position: int
    """The event's global position."""
    stream_id: str
    """The event's stream."""
    event_type: str
    """The event's type name."""
    attempts: int
    """How many times a relay claimed the row."""
    last_error: str | None
    """The last publication error, if any."""
    parked_at: datetime | None
    """When the row was parked (None for a pending row)."""


class OutboxPublisherProtocol(Protocol):
    """Where a relay sends outbox events: the event bus, or a message broker adapter."""

    async def publish(self, message: OutboxMessage) -> None:
        """Publish one event; raise any exception when it was not accepted (the relay retries)."""
        ...

    async def flush(self) -> None:
        """Return once everything published so far is delivered (handled, or acknowledged by the
        broker); raise when that cannot be confirmed. The relay completes a batch only after this,
        so a crash never loses an event that was only accepted into a buffer."""
        ...


class OutboxStoreProtocol(Protocol):
    """The outbox rows of an event store, claimed and completed by relays."""

    async def claim(self, worker_id: str, limit: int, claim_ttl: float) -> list[OutboxMessage]:
        """Claim up to ``limit`` publishable rows for ``claim_ttl`` seconds, oldest first.

        A row is publishable when it is the oldest row of its stream (or follows such a row in the
        same claim), is not parked, is due and is not claimed by anyone else. Claims of different
        relays never overlap while they last; a relay that dies leaves its rows to be claimed again
        once ``claim_ttl`` has passed.
        """
        ...

    async def complete(
        self,
        worker_id: str,
        published: Sequence[int],
        failed: Sequence[OutboxFailure] = (),
        released: Sequence[int] = (),
    ) -> None:
        """Finish a claim in one transaction: remove ``published``, reschedule or park ``failed``,
        and give back ``released`` rows that were not tried. Rows no longer claimed by
        ``worker_id`` (the claim expired and another relay took them) are left alone."""
        ...

    async def pending_count(self) -> int:
        """How many rows wait to be published (parked rows included)."""
        ...

    async def list_parked(self, limit: int = 100) -> list[OutboxEntry]:
        """The parked rows, oldest first."""
        ...

    async def retry_parked(self, positions: Sequence[int] | None = None) -> int:
        """Make parked rows (all, or those at ``positions``) publishable again; return how many."""
        ...

    async def skip_parked(self, positions: Sequence[int]) -> int:
        """Drop parked rows without publishing them (the events stay in the store); return how many."""
        ...
