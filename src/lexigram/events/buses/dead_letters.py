"""``InMemoryDeadLetterStore``: the event bus's default record of deliveries that failed for good.

::

    entries = await bus.dead_letter_store.list_entries(event_type="OrderShipped")
    await bus.dead_letter_store.replay(entries[0].id, bus)   # publish the event again

Any object following ``DeadLetterStoreProtocol`` (``lexigram.contracts.events``) can take its
place, e.g. a durable store (``SqliteDeadLetterStore``, ``PostgresDeadLetterStore``): pass it as
``EventBusImpl(dead_letter_store=...)``. The checks and the replay below are shared by every store,
so they all accept and refuse the same things.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import Any

from lexigram.contracts.core.result import Err
from lexigram.contracts.events.buses import DomainEventPublisherProtocol
from lexigram.contracts.events.dead_letters import DeadLetterEntry, DeadLetterStoreProtocol
from lexigram.contracts.exceptions import ValidationError
from lexigram.events.constants import BUS_LOGGER
from lexigram.events.exceptions import DeadLetterNotFoundError

__all__ = [
    "DeadLetterEntry",
    "InMemoryDeadLetterStore",
    "checked_entry",
    "checked_entry_id",
    "checked_filters",
    "names_match",
    "replay_entry",
]

logger = logging.getLogger(BUS_LOGGER)


def names_match(stored: str, wanted: str) -> bool:
    """True when ``wanted`` is the handler name or its trailing part (``"Mailer.handle"``)."""
    return stored == wanted or stored.endswith("." + wanted)


def checked_entry(entry: Any) -> DeadLetterEntry:
    """A ``DeadLetterEntry`` whose fields have the documented types."""
    if not isinstance(entry, DeadLetterEntry):
        raise ValidationError(
            f"a dead-letter store records DeadLetterEntry objects, got {type(entry).__name__}"
        )
    for name in ("event_type", "handler_name", "error", "id"):
        if not isinstance(getattr(entry, name), str):
            raise ValidationError(f"DeadLetterEntry.{name} must be a str, got {getattr(entry, name)!r}")
    if isinstance(entry.attempts, bool) or not isinstance(entry.attempts, int) or entry.attempts < 0:
        raise ValidationError(f"DeadLetterEntry.attempts must be an int >= 0, got {entry.attempts!r}")
    if not isinstance(entry.created_at, datetime):
        raise ValidationError(f"DeadLetterEntry.created_at must be a datetime, got {entry.created_at!r}")
    if entry.created_at.tzinfo is None:  # a naive time is taken to be UTC, as everywhere in lexigram
        return dataclasses.replace(entry, created_at=entry.created_at.replace(tzinfo=UTC))
    return entry


def checked_entry_id(entry_id: Any) -> str:
    """An entry id: a non-empty str (a UUID is accepted and turned into its text)."""
    if entry_id is None or isinstance(entry_id, bool) or not str(entry_id):
        raise ValidationError(f"a dead-letter entry id must be a non-empty str, got {entry_id!r}")
    return str(entry_id)


def checked_filters(event_type: Any, handler_name: Any, limit: Any) -> None:
    """Check the filters of ``list_entries``."""
    for what, value in (("event_type", event_type), ("handler_name", handler_name)):
        if value is not None and not isinstance(value, str):
            raise ValidationError(f"{what} must be a str or None, got {type(value).__name__}: {value!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValidationError(f"limit must be an int >= 0, got {limit!r}")


async def replay_entry(
    store: DeadLetterStoreProtocol, entry_id: str, bus: DomainEventPublisherProtocol
) -> Any:
    """Publish an entry's event to ``bus``; mark the entry replayed unless ``publish`` returned an ``Err``."""
    if not callable(getattr(bus, "publish", None)):
        raise ValidationError(f"replay needs a bus with publish(event), got {type(bus).__name__}")
    entry = await store.get(entry_id)
    result = await bus.publish(entry.event)
    if not isinstance(result, Err):
        await store.mark_replayed(entry.id)
    return result


def _created_at(entry: DeadLetterEntry) -> datetime:
    return entry.created_at


class InMemoryDeadLetterStore:
    """Dead-letter entries kept in memory, listed oldest first (by ``created_at``, then insertion).

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
        entry = checked_entry(entry)
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
        key = checked_entry_id(entry_id)
        try:
            return self._entries[key]
        except KeyError:
            raise DeadLetterNotFoundError(key) from None

    async def list_entries(
        self, event_type: str | None = None, handler_name: str | None = None, limit: int = 100
    ) -> list[DeadLetterEntry]:
        """Return up to ``limit`` entries, oldest first, optionally filtered by event and handler."""
        checked_filters(event_type, handler_name, limit)
        found: list[DeadLetterEntry] = []
        for entry in sorted(self._entries.values(), key=_created_at):
            if len(found) >= limit:
                break
            if event_type is not None and entry.event_type != event_type:
                continue
            if handler_name is not None and not names_match(entry.handler_name, handler_name):
                continue
            found.append(entry)
        return found

    async def get_count(self, event_type: str | None = None) -> int:
        """Count the entries, optionally of one event type (class name)."""
        checked_filters(event_type, None, 0)
        if event_type is None:
            return len(self._entries)
        return sum(1 for entry in self._entries.values() if entry.event_type == event_type)

    async def replay(self, entry_id: str, bus: DomainEventPublisherProtocol) -> Any:
        """Publish the entry's original event to ``bus`` and mark the entry replayed.

        Returns what ``bus.publish`` returned; on an ``Err`` the entry is left unmarked. The event
        goes to every handler of its type again, not only to the one that failed.
        """
        return await replay_entry(self, entry_id, bus)

    async def mark_replayed(self, entry_id: str) -> None:
        """Mark an entry as replayed."""
        entry = await self.get(entry_id)
        self._entries[entry.id] = dataclasses.replace(entry, replayed=True)

    async def delete(self, entry_id: str) -> None:
        """Remove an entry; an unknown id raises ``DeadLetterNotFoundError``."""
        entry = await self.get(entry_id)
        del self._entries[entry.id]
