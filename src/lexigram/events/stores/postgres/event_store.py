"""``PostgresEventStore``: the event-store contract on PostgreSQL, through an ``asyncpg`` pool."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from lexigram.contracts.events.records import EventEnvelope, StreamInfo
from lexigram.contracts.events.stores import EventSerializerProtocol
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.messages import DomainEvent
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.stores.arguments import ReadRange, check_expected_version, events_to_append, stream_key
from lexigram.events.stores.base import AbstractEventStore, Appended, ensure_expected_version
from lexigram.events.stores.finding import TypeQuery
from lexigram.events.stores.partitioning import Partition
from lexigram.events.stores.postgres.appender import Appender
from lexigram.events.stores.postgres.driver import ConnectionLike, status_count
from lexigram.events.stores.postgres.link import StoreLink, pool_for
from lexigram.events.stores.postgres.listening import PoolListenerConnections, PostgresAppendSignal
from lexigram.events.stores.postgres.migrator import Migrator
from lexigram.events.stores.postgres.notifications import AppendNotifier
from lexigram.events.stores.postgres.outbox_sql import OutboxStatements
from lexigram.events.stores.postgres.outbox_store import PostgresOutboxStore
from lexigram.events.stores.postgres.pool import PostgresPool
from lexigram.events.stores.postgres.schema import EVENT_MIGRATIONS, EventTables
from lexigram.events.stores.postgres.statements import EventStatements
from lexigram.events.stores.serialization import EventCodec

__all__ = ["PostgresEventStore"]

_NO_UPPER_BOUND = (1 << 63) - 1


class PostgresEventStore(AbstractEventStore):
    """An event store in PostgreSQL.

    Example::

        store = PostgresEventStore(config=PostgresEventStoreConfig(dsn="postgresql://app@db/events"))
        await store.connect()          # optional: the first operation connects
        await store.append("order-1", [OrderPlaced(order_id="order-1")], expected_version=0)
        events = await store.read("order-1")
        await store.close()

    ``provider`` is where connections come from: None opens the store's own pool from ``config``
    (``dsn``, ``pool_min_size``, ``pool_max_size``, ``command_timeout``); an open ``asyncpg.Pool`` is
    borrowed as it is and never closed by the store; a ``PostgresPool`` is shared with other stores.
    ``event_serializer`` turns events into JSON (default ``JsonEventSerializer``).

    ``connect()`` opens the pool and, with ``auto_create_tables`` (the default), creates or upgrades
    the tables (``events_table``, ``<events_table>_streams`` and ``<events_table>_schema_migrations``);
    ``migrate()`` does it explicitly and ``schema_version()`` reports it.

    With ``outbox=True`` the append statement also writes one row per event to ``outbox_table``,
    so the outbox commits with the events (also inside your transaction with ``append_on``); an
    ``OutboxRelay`` over ``store.outbox`` publishes them.

    Guarantees: the version check happens in the database, in the statement that writes, so
    concurrent appends never duplicate or lose a version; an append is one round trip whatever the
    batch size. Global positions start at 1 and strictly increase but have gaps (they are built from
    transaction ids): a reader of ``stream_all`` / ``read_all`` / ``stream_by_type`` sees only events
    of transactions older than every transaction still running, so a catch-up reader never skips an
    event, even when a writer stalls before committing. Within a stream, position order is version
    order. The price: any transaction on the server that has written (in any database) holds global
    readers back until it ends, so keep transactions short (``idle_in_transaction_session_timeout``
    guards against forgotten ones); reads of one stream are never held back. Needs PostgreSQL 13+.

    Following the log across processes: after an append commits, the store sends a ``NOTIFY`` on
    its events table's channel in the background (never inside the append's transaction; off
    with ``notify_appends=False``), and ``appends`` is also raised by the notifications of other
    stores once something waits on it (a dedicated ``LISTEN`` connection, opened on the first
    ``wait`` and closed by ``close()``).
    """

    def __init__(
        self,
        config: PostgresEventStoreConfig | None = None,
        provider: Any = None,
        event_serializer: Any = None,
        *,
        schema_evolution: Any = None,
        outbox: bool = False,
    ) -> None:
        super().__init__(schema_evolution)
        self.config = config if config is not None else PostgresEventStoreConfig()
        self.tables = EventTables.named(self.config.events_table, self.config.outbox_table)
        self._sql = EventStatements.render(self.tables, outbox=outbox)
        self._codec = EventCodec(event_serializer, schema_evolution)
        self._use_serializer_hooks(self._codec.serializer)
        pool = pool_for(self.config, provider)
        self._appender = Appender(
            self._sql, self._codec, pool.driver, f"{self.config.events_table}_ordinal_check"
        )
        self._link = StoreLink(
            "PostgresEventStore",
            self.config,
            pool,
            Migrator(pool.driver, EVENT_MIGRATIONS, self.tables.names, self.tables.migrations),
        )
        self._outbox = (
            PostgresOutboxStore(self._link, OutboxStatements.render(self.tables), self._codec.decode)
            if outbox
            else None
        )
        self.publishes_appended_events = outbox
        token = uuid.uuid4().hex  # tells this store's notifications apart from other stores'
        table, quoted = self.config.events_table, self.tables.events
        self._notifier = (
            AppendNotifier(pool.connection, table, quoted, token) if self.config.notify_appends else None
        )
        self._pg_appends = PostgresAppendSignal(PoolListenerConnections(pool, table, quoted), token)
        self._appends = self._pg_appends

    # --- lifecycle and schema ------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the pool and, with ``auto_create_tables``, create or upgrade the tables. Idempotent."""
        await self._link.connect()
        self._reopen_notifications()

    async def close(self) -> None:
        """Send the last pending notification, stop listening and release the pool. Idempotent."""
        if self._notifier is not None:
            await self._notifier.close()
        await self._pg_appends.stop_listening()
        await self._link.close()

    async def migrate(self) -> list[int]:
        """Apply pending schema migrations; return the versions applied (``[]`` when up to date)."""
        applied = await self._link.migrate()
        self._reopen_notifications()
        return applied

    def _reopen_notifications(self) -> None:
        if self._notifier is not None:
            self._notifier.reopen()
        self._pg_appends.allow_listening()

    @property
    def appends(self) -> PostgresAppendSignal:
        """The signal raised after every append through this store, and by other stores' appends.

        Other processes' appends raise it once something waits on it: the first ``wait`` opens a
        ``LISTEN`` connection (``await store.appends.start_listening()`` opens it ahead of time).
        """
        return self._pg_appends

    async def schema_version(self) -> int:
        """The newest schema migration applied to the database, 0 when none."""
        return await self._link.schema_version()

    @property
    def latest_schema_version(self) -> int:
        """The schema version this code brings a database to."""
        return self._link.migrator.latest

    @property
    def pool(self) -> PostgresPool:
        """The store's pool: borrow a connection for ``append_on`` inside your own transaction."""
        return self._link.pool

    @property
    def outbox(self) -> PostgresOutboxStore:
        """The store's transactional outbox, for relays; ``ConfigurationError`` without ``outbox=True``."""
        if self._outbox is None:
            raise ConfigurationError(
                "this PostgresEventStore has no outbox; open it with PostgresEventStore(..., outbox=True) "
                "(or set events.outbox_enabled) so appends record their events for a relay"
            )
        return self._outbox

    @property
    def event_serializer(self) -> EventSerializerProtocol:
        """The serializer events are written and read with."""
        return self._codec.serializer

    def register_event_type(self, name: str, cls: type[DomainEvent]) -> None:
        """Read stored events of type ``name`` as ``cls`` (takes precedence over the global registry)."""
        self._codec.register_event_type(name, cls)

    # --- writing -------------------------------------------------------------------------------

    async def append_on(
        self,
        connection: ConnectionLike,
        stream_id: str | UUID | DomainEvent | Iterable[DomainEvent] | None = None,
        events: Iterable[DomainEvent] | DomainEvent | None = None,
        expected_version: int | None = None,
    ) -> Appended:
        """Append like ``append_returning``, on an ``asyncpg`` connection you hold.

        Inside your transaction the events commit or roll back with it (a transactional outbox, a
        read model updated in the same transaction). Append before other writes in that
        transaction: its position in the global log is fixed by its first write. Readers of the
        global log wait for the transaction to end, so keep it short. Only you know when it
        commits: call ``announce_appends()`` after the commit to wake readers at once (otherwise
        they see the events when they next poll).
        """
        key, listed = events_to_append(stream_id, events)
        expected = check_expected_version(expected_version)
        if not listed:
            if key is None:
                raise ValueError("append_on() got neither events nor a stream_id")
            async with self._link.failures(f"read the version of stream '{key}'", writing=False):
                current = await connection.fetchval(self._sql.stream_version, key) or 0
            ensure_expected_version(key, expected, current)
            return Appended(current, [])
        assert key is not None
        if self._before_append is not None:
            await self._before_append(listed)
        batch = self._appender.encode(key, listed)
        async with self._link.failures(f"append to stream '{key}'", writing=True):
            return await self._appender.write(connection, batch, expected)

    def announce_appends(self) -> None:
        """Wake the readers of the global log, here and (with ``notify_appends``) in other processes.

        Appends through the store do this by themselves; call it after committing a transaction
        in which you appended with ``append_on``.
        """
        self._announce_append()

    async def _append_to_stream(
        self, stream_id: str, events: list[DomainEvent], expected_version: int | None
    ) -> Appended:
        batch = self._appender.encode(stream_id, events)
        async with self._link.connection(f"append to stream '{stream_id}'", writing=True) as connection:
            return await self._appender.write(connection, batch, expected_version)

    def _announce_append(self) -> None:
        self._pg_appends.notify()
        if self._notifier is not None:
            self._notifier.request()  # sent after this commit, in the background

    async def _compact(self, stream_id: str, up_to_version: int) -> int:
        async with self._link.connection(f"compact stream '{stream_id}'", writing=True) as connection:
            deleted = await connection.fetchval(self._sql.compact, stream_id, up_to_version)
        return int(deleted)

    async def delete_stream(self, stream_id: str | UUID) -> int:
        """Delete a stream and all its events; return how many events were deleted.

        Afterwards the stream is unknown: version 0, and ``expected_version=0`` creates it anew.
        """
        key = stream_key(stream_id)
        async with (
            self._link.connection(f"delete stream '{key}'", writing=True) as connection,
            connection.transaction(),
        ):
            await connection.execute(self._sql.lock_stream, key)
            await connection.execute(self._sql.delete_stream_row, key)
            status = await connection.execute(self._sql.delete_stream_events, key)
        return status_count(status)

    # --- reading -------------------------------------------------------------------------------

    async def _read_stream(self, stream_id: str, read_range: ReadRange) -> list[Any]:
        last = _NO_UPPER_BOUND if read_range.last is None else read_range.last
        async with self._link.connection(f"read stream '{stream_id}'", writing=False) as connection:
            rows = await connection.fetch(
                self._sql.read_stream, stream_id, read_range.first, last, read_range.limit
            )
        return self._decode(rows)

    async def _read_global(
        self, after_position: int, limit: int | None, partition: Partition | None
    ) -> list[Any]:
        async with self._link.connection("read the global log", writing=False) as connection:
            if partition is None:
                rows = await connection.fetch(self._sql.read_global, after_position, limit)
            else:
                rows = await connection.fetch(
                    self._sql.read_partition, after_position, limit, partition.total, partition.index
                )
        return self._decode(rows)

    async def _read_global_envelopes(
        self, after_position: int, limit: int, partition: Partition | None
    ) -> list[EventEnvelope]:
        sql = self._sql
        async with self._link.connection("read the global log", writing=False) as connection:
            if partition is None:
                rows = await connection.fetch(sql.read_global_envelopes, after_position, limit)
            else:
                rows = await connection.fetch(
                    sql.read_partition_envelopes, after_position, limit, partition.total, partition.index
                )
        decode = self._codec.decode
        return [EventEnvelope(decode(row[2], row[0], row[1]), row[3], row[1], row[0]) for row in rows]

    async def _read_by_type(self, names: frozenset[str], after_position: int, limit: int) -> list[Any]:
        async with self._link.connection("read the global log by type", writing=False) as connection:
            rows = await connection.fetch(self._sql.read_by_type, after_position, limit, sorted(names))
        return self._decode(rows)

    async def find_by_type(
        self,
        event_type: str | type,
        count: int | None = None,
        start: int | None = None,
        *,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[Any]:
        """Return up to ``count`` (default 100) events of one type in global order, skipping ``start``.

        ``limit`` and ``offset`` are aliases of ``count`` and ``start``. Unlike ``stream_by_type``
        this is a lookup, not a checkpointed read: it also shows events of transactions that
        committed while older ones are still running.
        """
        query = TypeQuery.from_arguments(event_type, count, start, limit, offset)
        async with self._link.connection(f"find events of type {query.event_type}", writing=False) as conn:
            rows = await conn.fetch(self._sql.find_by_type, query.event_type, query.limit, query.skip)
        return self._decode(rows)

    async def get_events_count(self, stream_id: str | UUID | None = None) -> int:
        """Count the stored events of one stream, or of every stream when ``stream_id`` is None."""
        key = None if stream_id is None else stream_key(stream_id)
        async with self._link.connection("count events", writing=False) as connection:
            if key is None:
                count = await connection.fetchval(self._sql.count_all)
            else:
                count = await connection.fetchval(self._sql.count_stream, key)
        return int(count)

    async def _get_stream_version(self, stream_id: str) -> int:
        async with self._link.connection(f"read the version of stream '{stream_id}'", writing=False) as conn:
            version = await conn.fetchval(self._sql.stream_version, stream_id)
        return 0 if version is None else int(version)

    async def _get_stream_info(self, stream_id: str) -> StreamInfo | None:
        async with self._link.connection(f"describe stream '{stream_id}'", writing=False) as connection:
            row = await connection.fetchrow(self._sql.stream_info, stream_id)
        if row is None:
            return None
        version, aggregate_type, event_count = row[0], row[1], row[2]
        first = None if row[5] is None else self._codec.decode(row[5], row[3], row[4])
        last = None if row[8] is None else self._codec.decode(row[8], row[6], row[7])
        return StreamInfo(
            stream_id=stream_id,
            version=int(version),
            event_count=int(event_count),
            created_at=None if first is None else first.occurred_at,
            updated_at=None if last is None else last.occurred_at,
            aggregate_type=aggregate_type,
        )

    async def _list_stream_ids(self) -> list[str]:
        async with self._link.connection("list the streams", writing=False) as connection:
            rows = await connection.fetch(self._sql.list_streams)
        return [row[0] for row in rows]

    def _decode(self, rows: list[Any]) -> list[Any]:
        decode = self._codec.decode
        return [decode(row[2], row[0], row[1]) for row in rows]
