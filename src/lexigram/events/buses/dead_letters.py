"""``InMemoryDeadLetterStore``: the event bus's default record of deliveries that failed for good.

::

    entries = await bus.dead_letter_store.list_entries(event_type="OrderShipped")
    await bus.dead_letter_store.replay(entries[0].id, bus)   # publish the event again

Any object following ``DeadLetterStoreProtocol`` (``lexigram.contracts.events``) can take its
place, e.g. a durable store: pass it as ``EventBusImpl(dead_letter_store=...)``.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from lexigram.contracts.core.result import Err
from lexigram.contracts.events.buses import DomainEventPublisherProtocol
from lexigram.contracts.events.dead_letters import DeadLetterEntry
from lexigram.events.constants import BUS_LOGGER
from lexigram.events.exceptions import DeadLetterNotFoundError

__all__ = ["DeadLetterEntry", "InMemoryDeadLetterStore"]

logger = logging.getLogger(BUS_LOGGER)


def _names_match(stored: str, wanted: str) -> bool:
    return stored == wanted or stored.endswith("." + wanted)


class InMemoryDeadLetterStore:
    """Dead-letter entries kept in memory, oldest first.

    ``max_entries`` bounds memory: beyond it the oldest entry is dropped (with a warning).
    ``handler_name`` filters match the fully qualified name or its trailing part
    (``"send_email"`` or ``"Mailer.handle"`` both match ``"app.mail.Mailer.handle"``).
    """

    def __init__(self, max_entries: int | None = 10_000) -> None:
        if max_entries is not None and max_entries < 1:
            raise ValueError(f"max_entries must be at least 1 (or None), got {max_entries}")
        self._max_entries = max_entries
        self._entries: dict[str, DeadLetterEntry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def add(self, entry: DeadLetterEntry) -> None:
        """Record an entry."""
        self._entries[entry.id] = entry
        if self._max_entries is not None and len(self._entries) > self._max_entries:
            oldest = next(iter(self._entries))
            dropped = self._entries.pop(oldest)
            logger.warning(
                "dead-letter store full (%d entries): dropped the oldest, %s for %s",
                self._max_entries,
                dropped.event_type,
                dropped.handler_name,
            )

    async def get(self, entry_id: str) -> DeadLetterEntry:
        """Return one entry; an unknown id raises ``DeadLetterNotFoundError``."""
        try:
            return self._entries[str(entry_id)]
        except KeyError:
            raise DeadLetterNotFoundError(str(entry_id)) from None

    async def list_entries(
        self, event_type: str | None = None, handler_name: str | None = None, limit: int = 100
    ) -> list[DeadLetterEntry]:
        """Return up to ``limit`` entries, oldest first, optionally filtered by event and handler."""
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        found: list[DeadLetterEntry] = []
        for entry in self._entries.values():
            if len(found) >= limit:
                break
            if event_type is not None and entry.event_type != event_type:
                continue
            if handler_name is not None and not _names_match(entry.handler_name, handler_name):
                continue
            found.append(entry)
        return found

    async def get_count(self, event_type: str | None = None) -> int:
        """Count the entries, optionally of one event type (class name)."""
        if event_type is None:
            return len(self._entries)
        return sum(1 for entry in self._entries.values() if entry.event_type == event_type)

    async def replay(self, entry_id: str, bus: DomainEventPublisherProtocol) -> Any:
        """Publish the entry's original event to ``bus`` and mark the entry replayed.

        Returns what ``bus.publish`` returned; on an ``Err`` the entry is left unmarked. The event
        goes to every handler of its type again, not only to the one that failed.
        """
        entry = await self.get(entry_id)
        result = await bus.publish(entry.event)
        if not isinstance(result, Err):
            await self.mark_replayed(entry.id)
        return result

    async def mark_replayed(self, entry_id: str) -> None:
        """Mark an entry as replayed."""
        entry = await self.get(entry_id)
        self._entries[entry.id] = dataclasses.replace(entry, replayed=True)

    async def delete(self, entry_id: str) -> None:
        """Remove an entry; an unknown id raises ``DeadLetterNotFoundError``."""
        entry = await self.get(entry_id)
        del self._entries[entry.id]
