"""Dead letters: events a handler still failed on after every retry, kept for inspection and replay.

``DeadLetterEntry`` is the record; ``DeadLetterStoreProtocol`` is what a store (in memory or durable)
provides so the event bus can record entries and operators can list, replay and delete them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from lexigram.contracts.events.buses import DomainEventPublisherProtocol
from lexigram.contracts.messages.ids import new_uuid, utc_now

__all__ = ["DeadLetterEntry", "DeadLetterStoreProtocol"]


def _new_entry_id() -> str:
    return str(new_uuid())


@dataclass(frozen=True, slots=True)
class DeadLetterEntry:
    """One failed delivery: the event, the handler that failed on it, and why."""

    event: Any
    """The event object exactly as it was published."""
    event_type: str
    """The class name of the event."""
    handler_name: str
    """The fully qualified name of the handler (function or class) that failed."""
    error: str
    """The last error, as text."""
    attempts: int
    """How many times the handler was called for this event."""
    id: str = field(default_factory=_new_entry_id)
    """The entry id (a UUID string)."""
    created_at: datetime = field(default_factory=utc_now)
    """When the entry was recorded (UTC)."""
    replayed: bool = False
    """True once the event was published again through ``replay``."""


class DeadLetterStoreProtocol(Protocol):
    """Where the event bus records failed deliveries; every method is async."""

    async def add(self, entry: DeadLetterEntry) -> None:
        """Record an entry."""
        ...

    async def get(self, entry_id: str) -> DeadLetterEntry:
        """Return one entry; an unknown id raises ``DeadLetterNotFoundError``."""
        ...

    async def list_entries(
        self, event_type: str | None = None, handler_name: str | None = None, limit: int = 100
    ) -> list[DeadLetterEntry]:
        """Return up to ``limit`` entries, oldest first, optionally filtered."""
        ...

    async def get_count(self, event_type: str | None = None) -> int:
        """Count the entries, optionally of one event type."""
        ...

    async def replay(self, entry_id: str, bus: DomainEventPublisherProtocol) -> Any:
        """Publish the entry's event to ``bus`` again and return what ``publish`` returned.

        The entry is marked replayed unless ``publish`` returned an ``Err``.
        """
        ...

    async def mark_replayed(self, entry_id: str) -> None:
        """Mark an entry as replayed."""
        ...

    async def delete(self, entry_id: str) -> None:
        """Remove an entry."""
        ...
