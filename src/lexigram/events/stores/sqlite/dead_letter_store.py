"""``SqliteDeadLetterStore``: the event bus's dead letters, kept in a SQLite database across restarts.

One table, ``dead_letters_table``, created by the store's own versioned migrations (ledger
``<dead_letters_table>_schema_migrations``). Each row keeps the event serialized by the store's
``event_serializer`` (``JsonEventSerializer`` by default; pass an encrypting serializer and no
plaintext personal data reaches the table), with its type, the handler, the error, the attempts,
the time and whether it was replayed. Reading rebuilds the event as its original class.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lexigram.contracts.events.buses import DomainEventPublisherProtocol
from lexigram.contracts.events.dead_letters import DeadLetterEntry
from lexigram.contracts.events.stores import EventSerializerProtocol
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.buses.dead_letters import checked_entry, checked_entry_id, checked_filters, replay_entry
from lexigram.events.config import SqliteConfig
from lexigram.events.exceptions import DeadLetterNotFoundError, DeadLetterStoreError
from lexigram.events.stores.dead_letter_codec import DeadLetterCodec
from lexigram.events.stores.failures import reported_as
from lexigram.events.stores.sqlite.database import SqliteDatabase, reject_provider
from lexigram.events.stores.sqlite.idempotency_schema import dead_letter_schema
from lexigram.events.stores.sqlite.lifecycle import SqliteStoreLifecycle

if TYPE_CHECKING:
    from lexigram.contracts.events.dead_letters import DeadLetterStoreProtocol

__all__ = ["SqliteDeadLetterStore"]

_COLUMNS = "id, event_type, handler_name, error, attempts, created_at, replayed, data"
_HANDLER_MATCHES = "(handler_name = ? OR substr(handler_name, -(length(?) + 1)) = '.' || ?)"


class SqliteDeadLetterStore(SqliteStoreLifecycle):
    """Dead letters in a SQLite database file (usually the event store's), oldest first.

    Example::

        dead_letters = SqliteDeadLetterStore(SqliteConfig(database="app.db"))
        bus = EventBus(dead_letter_store=dead_letters)
        ...
        for entry in await dead_letters.list_entries(event_type="OrderShipped"):
            await dead_letters.replay(entry.id, bus)

    ``connect()`` opens the store's own connection and, with ``auto_create_tables``, creates the
    table; the first operation connects too. No call blocks the event loop. ``provider`` must be
    None. ``handler_name`` filters match the full name or its trailing part, as in memory.
    """

    def __init__(
        self,
        config: SqliteConfig | None = None,
        provider: object | None = None,
        event_serializer: EventSerializerProtocol | None = None,
    ) -> None:
        reject_provider(provider, "SqliteDeadLetterStore")
        if config is not None and not isinstance(config, SqliteConfig):
            raise ConfigurationError(f"config must be a SqliteConfig, got {type(config).__name__}")
        self.config = config if config is not None else SqliteConfig()
        table = self.config.dead_letters_table
        self._db = SqliteDatabase(self.config, dead_letter_schema(table), "dead-letter store")
        self._codec = DeadLetterCodec(event_serializer)
        self._table = f'"{table}"'

    @property
    def event_serializer(self) -> EventSerializerProtocol:
        """The serializer events are written and read with."""
        return self._codec.serializer

    async def add(self, entry: DeadLetterEntry) -> None:
        """Record an entry (its event serialized); an entry with the same id is replaced."""
        entry = checked_entry(entry)
        data = self._codec.serialize(entry)
        row = (
            entry.id,
            entry.event_type,
            entry.handler_name,
            entry.error,
            entry.attempts,
            _utc(entry.created_at).isoformat(timespec="microseconds"),
            int(entry.replayed),
            data,
        )
        statement = f"INSERT OR REPLACE INTO {self._table} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        async with reported_as(DeadLetterStoreError):
            await self._db.write(lambda c: c.execute(statement, row).close(), pages=1 + len(data) // 4096)

    async def get(self, entry_id: str) -> DeadLetterEntry:
        """Return one entry; an unknown id raises ``DeadLetterNotFoundError``."""
        key = checked_entry_id(entry_id)
        statement = f"SELECT {_COLUMNS} FROM {self._table} WHERE id = ?"
        async with reported_as(DeadLetterStoreError):
            row = await self._db.read(lambda c: c.execute(statement, (key,)).fetchone())
        if row is None:
            raise DeadLetterNotFoundError(key)
        return self._entry(row)

    async def list_entries(
        self, event_type: str | None = None, handler_name: str | None = None, limit: int = 100
    ) -> list[DeadLetterEntry]:
        """Return up to ``limit`` entries, oldest first, optionally filtered by event and handler."""
        checked_filters(event_type, handler_name, limit)
        conditions: list[str] = []
        parameters: list[Any] = []
        if event_type is not None:
            conditions.append("event_type = ?")
            parameters.append(event_type)
        if handler_name is not None:
            conditions.append(_HANDLER_MATCHES)
            parameters.extend([handler_name] * 3)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        statement = f"SELECT {_COLUMNS} FROM {self._table} {where} ORDER BY created_at, seq LIMIT ?"
        parameters.append(limit)
        async with reported_as(DeadLetterStoreError):
            return await self._db.fetch(statement, parameters, self._entries)

    async def get_count(self, event_type: str | None = None) -> int:
        """Count the entries, optionally of one event type (class name)."""
        checked_filters(event_type, None, 0)
        statement = f"SELECT count(*) FROM {self._table} WHERE ? IS NULL OR event_type = ?"
        parameters = (event_type, event_type)
        async with reported_as(DeadLetterStoreError):
            row = await self._db.read(lambda c: c.execute(statement, parameters).fetchone())
        return int(row[0])

    async def replay(self, entry_id: str, bus: DomainEventPublisherProtocol) -> Any:
        """Publish the entry's event (as its original class) to ``bus`` and mark the entry replayed.

        Returns what ``bus.publish`` returned; on an ``Err`` the entry is left unmarked.
        """
        return await replay_entry(self, entry_id, bus)

    async def mark_replayed(self, entry_id: str) -> None:
        """Mark an entry as replayed; an unknown id raises ``DeadLetterNotFoundError``."""
        await self._change(f"UPDATE {self._table} SET replayed = 1 WHERE id = ?", entry_id)

    async def delete(self, entry_id: str) -> None:
        """Remove an entry; an unknown id raises ``DeadLetterNotFoundError``."""
        await self._change(f"DELETE FROM {self._table} WHERE id = ?", entry_id)

    async def _change(self, statement: str, entry_id: str) -> None:
        key = checked_entry_id(entry_id)
        async with reported_as(DeadLetterStoreError):
            changed = await self._db.write(lambda c: c.execute(statement, (key,)).rowcount)
        if not changed:
            raise DeadLetterNotFoundError(key)

    def _entry(self, row: tuple[Any, ...]) -> DeadLetterEntry:
        entry_id, event_type, handler_name, error, attempts, created_at, replayed, data = row
        return DeadLetterEntry(
            event=self._codec.deserialize(bytes(data), entry_id, event_type),
            event_type=event_type,
            handler_name=handler_name,
            error=error,
            attempts=int(attempts),
            id=entry_id,
            created_at=datetime.fromisoformat(created_at),
            replayed=bool(replayed),
        )

    def _entries(self, rows: list[Any]) -> list[DeadLetterEntry]:
        return [self._entry(tuple(row)) for row in rows]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: SqliteDeadLetterStore) -> DeadLetterStoreProtocol:
        return store
