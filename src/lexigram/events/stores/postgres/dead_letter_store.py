"""``PostgresDeadLetterStore``: the event bus's dead letters in PostgreSQL, shared by every process.

One table, ``dead_letters_table`` (see ``idempotency_schema``), with its own migrations. Each row
keeps the event serialized by the store's ``event_serializer`` (``JsonEventSerializer`` by
default; pass an encrypting serializer and no plaintext personal data reaches the table) in a
``bytea`` column, and reading rebuilds the event as its original class.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from lexigram.contracts.events.buses import DomainEventPublisherProtocol
from lexigram.contracts.events.dead_letters import DeadLetterEntry
from lexigram.contracts.events.stores import EventSerializerProtocol
from lexigram.contracts.exceptions import ConfigurationError, InfrastructureError
from lexigram.events.buses.dead_letters import checked_entry, checked_entry_id, checked_filters, replay_entry
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import DeadLetterNotFoundError, DeadLetterStoreError
from lexigram.events.stores.dead_letter_codec import DeadLetterCodec
from lexigram.events.stores.failures import reported_as
from lexigram.events.stores.postgres.driver import status_count
from lexigram.events.stores.postgres.idempotency_schema import DEAD_LETTER_MIGRATIONS, DeadLetterTables
from lexigram.events.stores.postgres.link import StoreLink, pool_for
from lexigram.events.stores.postgres.migrator import Migrator
from lexigram.events.stores.postgres.reporting_store import ReportingLinkedStore

if TYPE_CHECKING:
    from lexigram.contracts.events.dead_letters import DeadLetterStoreProtocol

__all__ = ["PostgresDeadLetterStore"]

_COLUMNS = "id, event_type, handler_name, error, attempts, created_at, replayed, data"


class PostgresDeadLetterStore(ReportingLinkedStore):
    """Dead letters in PostgreSQL, oldest first.

    Example::

        dead_letters = PostgresDeadLetterStore(config, provider=event_store.pool)
        bus = EventBus(dead_letter_store=dead_letters)

    ``provider`` and ``connect()`` work as for ``PostgresEventStore`` (None: its own pool; a
    ``PostgresPool`` is shared, an ``asyncpg.Pool`` borrowed). ``handler_name`` filters match the
    full name or its trailing part, as in memory.
    """

    failure_type: ClassVar[type[InfrastructureError]] = DeadLetterStoreError

    def __init__(
        self,
        config: PostgresEventStoreConfig | None = None,
        provider: Any = None,
        event_serializer: EventSerializerProtocol | None = None,
    ) -> None:
        if config is not None and not isinstance(config, PostgresEventStoreConfig):
            raise ConfigurationError(
                f"config must be a PostgresEventStoreConfig, got {type(config).__name__}"
            )
        self.config = config if config is not None else PostgresEventStoreConfig()
        self.tables = DeadLetterTables.named(self.config.dead_letters_table)
        self._codec = DeadLetterCodec(event_serializer)
        pool = pool_for(self.config, provider)
        self._link = StoreLink(
            "PostgresDeadLetterStore",
            self.config,
            pool,
            Migrator(pool.driver, DEAD_LETTER_MIGRATIONS, self.tables.names, self.tables.migrations),
        )
        table = self.tables.dead_letters
        self._add = f"""
            INSERT INTO {table} ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (id) DO UPDATE SET event_type = EXCLUDED.event_type,
                handler_name = EXCLUDED.handler_name, error = EXCLUDED.error, attempts = EXCLUDED.attempts,
                created_at = EXCLUDED.created_at, replayed = EXCLUDED.replayed, data = EXCLUDED.data"""
        self._get = f"SELECT {_COLUMNS} FROM {table} WHERE id = $1"
        self._list = f"""
            SELECT {_COLUMNS} FROM {table}
            WHERE ($1::text IS NULL OR event_type = $1)
              AND ($2::text IS NULL OR handler_name = $2 OR right(handler_name, length($2) + 1) = '.' || $2)
            ORDER BY created_at, seq LIMIT $3"""
        self._count = f"SELECT count(*) FROM {table} WHERE ($1::text IS NULL OR event_type = $1)"
        self._mark = f"UPDATE {table} SET replayed = true WHERE id = $1"
        self._delete = f"DELETE FROM {table} WHERE id = $1"

    @property
    def event_serializer(self) -> EventSerializerProtocol:
        """The serializer events are written and read with."""
        return self._codec.serializer

    async def add(self, entry: DeadLetterEntry) -> None:
        """Record an entry (its event serialized); an entry with the same id is replaced."""
        entry = checked_entry(entry)
        data = self._codec.serialize(entry)
        created = entry.created_at if entry.created_at.tzinfo else entry.created_at.replace(tzinfo=UTC)
        arguments = (
            entry.id,
            entry.event_type,
            entry.handler_name,
            entry.error,
            entry.attempts,
            created,
            entry.replayed,
            data,
        )
        action = f"record the dead letter of {entry.event_type} for {entry.handler_name}"
        async with (
            reported_as(DeadLetterStoreError),
            self._link.connection(action, writing=True) as connection,
        ):
            await connection.execute(self._add, *arguments)

    async def get(self, entry_id: str) -> DeadLetterEntry:
        """Return one entry; an unknown id raises ``DeadLetterNotFoundError``."""
        key = checked_entry_id(entry_id)
        action = f"read the dead letter {key}"
        async with (
            reported_as(DeadLetterStoreError),
            self._link.connection(action, writing=False) as connection,
        ):
            row = await connection.fetchrow(self._get, key)
        if row is None:
            raise DeadLetterNotFoundError(key)
        return self._entry(row)

    async def list_entries(
        self, event_type: str | None = None, handler_name: str | None = None, limit: int = 100
    ) -> list[DeadLetterEntry]:
        """Return up to ``limit`` entries, oldest first, optionally filtered by event and handler."""
        checked_filters(event_type, handler_name, limit)
        async with (
            reported_as(DeadLetterStoreError),
            self._link.connection("list dead letters", writing=False) as connection,
        ):
            rows = await connection.fetch(self._list, event_type, handler_name, limit)
        return [self._entry(row) for row in rows]

    async def get_count(self, event_type: str | None = None) -> int:
        """Count the entries, optionally of one event type (class name)."""
        checked_filters(event_type, None, 0)
        async with (
            reported_as(DeadLetterStoreError),
            self._link.connection("count dead letters", writing=False) as connection,
        ):
            return int(await connection.fetchval(self._count, event_type))

    async def replay(self, entry_id: str, bus: DomainEventPublisherProtocol) -> Any:
        """Publish the entry's event (as its original class) to ``bus`` and mark the entry replayed.

        Returns what ``bus.publish`` returned; on an ``Err`` the entry is left unmarked.
        """
        return await replay_entry(self, entry_id, bus)

    async def mark_replayed(self, entry_id: str) -> None:
        """Mark an entry as replayed; an unknown id raises ``DeadLetterNotFoundError``."""
        await self._change(self._mark, entry_id, "mark the dead letter {} replayed")

    async def delete(self, entry_id: str) -> None:
        """Remove an entry; an unknown id raises ``DeadLetterNotFoundError``."""
        await self._change(self._delete, entry_id, "delete the dead letter {}")

    async def _change(self, statement: str, entry_id: str, action: str) -> None:
        key = checked_entry_id(entry_id)
        async with (
            reported_as(DeadLetterStoreError),
            self._link.connection(action.format(key), writing=True) as connection,
        ):
            status = await connection.execute(statement, key)
        if status_count(status) == 0:
            raise DeadLetterNotFoundError(key)

    def _entry(self, row: Any) -> DeadLetterEntry:
        entry_id, event_type, handler_name, error, attempts, created_at, replayed, data = tuple(row)
        moment: datetime = created_at
        return DeadLetterEntry(
            event=self._codec.deserialize(bytes(data), entry_id, event_type),
            event_type=event_type,
            handler_name=handler_name,
            error=error,
            attempts=int(attempts),
            id=entry_id,
            created_at=moment.astimezone(UTC),
            replayed=bool(replayed),
        )


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: PostgresDeadLetterStore) -> DeadLetterStoreProtocol:
        return store
