"""``SqliteEventStore``: the event-store contract on a SQLite file, the embedded default.

Two tables: ``<events_table>_streams`` holds each stream's version (it survives compaction; only
``delete_stream`` forgets a stream) and is where the optimistic-concurrency check happens;
``<events_table>`` is the global log, one row per event, with ``position INTEGER PRIMARY KEY
AUTOINCREMENT`` (positions are never reused, even after the newest events are compacted),
``UNIQUE (stream_id, version)``, the event id, type (indexed), ``occurred_at``, the stream's
partition hash and the serialized event.

An append is one ``BEGIN IMMEDIATE`` transaction: read the stream version, check it, update it,
insert the events. SQLite lets one writer in at a time per file, across threads and processes, so
positions are assigned in commit order without gaps: a reader following the log with
``stream_all(from_position=checkpoint)`` never skips an event that commits later.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from lexigram.contracts.events.records import EventEnvelope, StreamInfo
from lexigram.contracts.events.stores import EventSerializerProtocol
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.messages import DomainEvent
from lexigram.events.config import SqliteConfig
from lexigram.events.stores.arguments import ReadRange, stream_key
from lexigram.events.stores.base import AbstractEventStore, Appended, ensure_expected_version
from lexigram.events.stores.finding import TypeQuery
from lexigram.events.stores.partitioning import Partition, stream_hash
from lexigram.events.stores.serialization import EventCodec
from lexigram.events.stores.sqlite.database import SqliteDatabase, reject_provider
from lexigram.events.stores.sqlite.event_sql import EventSql
from lexigram.events.stores.sqlite.lifecycle import SqliteStoreLifecycle
from lexigram.events.stores.sqlite.outbox_sql import OutboxSql
from lexigram.events.stores.sqlite.outbox_store import SqliteOutboxStore
from lexigram.events.stores.sqlite.schema import event_schema
from lexigram.events.stores.stamping import stored_copy

__all__ = ["SqliteEventStore"]

_HEAVY_APPEND = 500
"""Appends of more events than this encode in chunks and commit on the worker thread (as do
compaction and ``delete_stream``, which may delete any number of rows)."""
_CHUNK = 256


class SqliteEventStore(SqliteStoreLifecycle, AbstractEventStore):
    """An event store in a SQLite database file (WAL, ``synchronous=NORMAL`` by default).

    Example::

        store = SqliteEventStore(config=SqliteConfig(database="events.db"))
        await store.append("order-123", [OrderPlaced(order_id="order-123")], expected_version=0)
        events = await store.read("order-123")
        await store.close()

    The connection opens and the schema is created or upgraded (when ``auto_create_tables``) by
    ``connect()``, or by the first operation. Several processes on one machine may use one file
    (SQLite's locks are not reliable on network file systems): optimistic concurrency holds across
    them, and no version or position is ever duplicated. Use a store from one event loop (one
    thread) at a time; each process or loop opens its own. Events come back
    as instances of their original class (``register_event_type`` maps other stored type names),
    serialized by ``event_serializer`` (JSON by default). No call blocks the event loop: see
    ``lexigram.events.stores.sqlite.database``.

    ``provider`` is accepted for signature compatibility and must be None: the store always opens
    its own connection from ``config.database``.

    With ``outbox=True`` every append also records its events in the outbox table
    (``outbox_table``) in the same transaction, for an ``OutboxRelay`` to publish (``store.outbox``).
    """

    reads_on_the_loop: ClassVar[bool] = True
    """Reads fetch and decode on the event loop's thread: projections read between batches."""

    def __init__(
        self,
        config: SqliteConfig | None = None,
        provider: object | None = None,
        event_serializer: EventSerializerProtocol | None = None,
        *,
        schema_evolution: Any = None,
        outbox: bool = False,
    ) -> None:
        super().__init__(schema_evolution)
        reject_provider(provider, "SqliteEventStore")
        if config is not None and not isinstance(config, SqliteConfig):
            raise TypeError(f"config must be a SqliteConfig, got {type(config).__name__}")
        self.config = config if config is not None else SqliteConfig()
        schema = event_schema(self.config.events_table, self.config.outbox_table)
        self._db = SqliteDatabase(self.config, schema, "event store")
        self._sql = EventSql(schema.names["events"], schema.names["streams"])
        self._codec = EventCodec(event_serializer, schema_evolution)
        self._use_serializer_hooks(self._codec.serializer)
        decode = self._codec.decode
        outbox_sql = OutboxSql(schema.names["events"], schema.names["outbox"])
        self._outbox = SqliteOutboxStore(self._db, outbox_sql, decode) if outbox else None
        self._outbox_sql = outbox_sql if outbox else None
        self.publishes_appended_events = outbox

        def decode_rows(rows: list[Any]) -> list[Any]:
            return [decode(data, position, version) for position, version, data in rows]

        def decode_envelopes(rows: list[Any]) -> list[EventEnvelope]:
            return [
                EventEnvelope(decode(data, position, version), stream_id, version, position)
                for position, version, data, stream_id in rows
            ]

        self._decode_rows: Callable[[list[Any]], list[Any]] = decode_rows
        self._decode_envelopes: Callable[[list[Any]], list[EventEnvelope]] = decode_envelopes

    # --- lifecycle and schema ------------------------------------------------------------------

    # database, connect, migrate, schema_version, latest_schema_version, close: SqliteStoreLifecycle

    @property
    def event_serializer(self) -> EventSerializerProtocol:
        """The serializer events are written and read with."""
        return self._codec.serializer

    def register_event_type(self, name: str, cls: type[DomainEvent]) -> None:
        """Read stored events of type ``name`` as instances of ``cls``."""
        self._codec.register_event_type(name, cls)

    @property
    def outbox(self) -> SqliteOutboxStore:
        """The store's transactional outbox, for relays; ``ConfigurationError`` without ``outbox=True``."""
        if self._outbox is None:
            raise ConfigurationError(
                "this SqliteEventStore has no outbox; open it with SqliteEventStore(..., outbox=True) "
                "(or set events.outbox_enabled) so appends record their events for a relay"
            )
        return self._outbox

    # --- extra operations ----------------------------------------------------------------------

    async def get_events_count(self, stream_id: str | UUID | None = None) -> int:
        """Count the stored events, of one stream or of the whole store."""
        parameters: tuple[str, ...] = ()
        if stream_id is None:
            sql = self._sql.count_all
        else:
            sql, parameters = self._sql.count_stream, (stream_key(stream_id),)
        return int(await self._db.read(lambda c: c.execute(sql, parameters).fetchone()[0]))

    async def delete_stream(self, stream_id: str | UUID) -> int:
        """Delete a stream and all its events; return how many events were deleted.

        Unlike ``compact``, the stream is forgotten: its version goes back to 0, so it can be
        created again (with ``expected_version=0``). Use it to erase data, not to trim history.
        """
        key = stream_key(stream_id)
        sql = self._sql

        def delete(connection: sqlite3.Connection) -> int:
            deleted: int = connection.execute(sql.delete_stream, (key,)).rowcount
            connection.execute(sql.forget_stream, (key,))
            return deleted

        return await self._db.write(delete, pages=8, heavy=True)  # any number of rows: off the loop

    async def find_by_type(
        self,
        event_type: str | type,
        count: int | None = None,
        start: int | None = None,
        *,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[Any]:
        """Return up to ``count`` (default 100) events of one type, skipping the first ``start``.

        The events are in global order; ``limit`` and ``offset`` are aliases of ``count`` and ``start``.
        """
        query = TypeQuery.from_arguments(event_type, count, start, limit, offset)
        parameters = (query.event_type, query.limit, query.skip)
        return await self._db.fetch(self._sql.find_by_type, parameters, self._decode_rows)

    # --- primitives ----------------------------------------------------------------------------

    async def _append_to_stream(
        self, stream_id: str, events: list[DomainEvent], expected_version: int | None
    ) -> Appended:
        count = len(events)
        heavy = count > _HEAVY_APPEND
        prepared = await self._prepare(events) if heavy else self._prepare_now(events)
        size = sum(len(row[3]) for row in prepared)
        hashed = stream_hash(stream_id)
        aggregate_type = next((e.aggregate_type for e in events if e.aggregate_type is not None), None)
        sql = self._sql
        outbox = self._outbox_sql

        def append(connection: sqlite3.Connection) -> tuple[int, int]:
            row = connection.execute(sql.stream_version, (stream_id,)).fetchone()
            current: int = 0 if row is None else row[0]
            ensure_expected_version(stream_id, expected_version, current)
            if row is None:
                connection.execute(sql.insert_stream, (stream_id, current + count, aggregate_type))
            else:
                connection.execute(sql.update_stream, (current + count, aggregate_type, stream_id))
            if count == 1:
                event_id, event_type, occurred_at, data = prepared[0]
                values = (stream_id, current + 1, event_id, event_type, occurred_at, hashed, data)
                last: int = connection.execute(sql.insert_event, values).lastrowid or 0
            else:
                connection.executemany(
                    sql.insert_event,
                    [
                        (stream_id, version, event_id, event_type, occurred_at, hashed, data)
                        for version, (event_id, event_type, occurred_at, data) in enumerate(
                            prepared, current + 1
                        )
                    ],
                )
                last = connection.execute(sql.last_position).fetchone()[0]
            if outbox is not None:
                if count == 1:
                    connection.execute(outbox.record_one, (last, stream_id))
                else:
                    connection.execute(outbox.record_range, (last - count + 1, last))
            return current, last

        pages = 4 + size // self._db.page_size + count // 8
        current, last = await self._db.write(append, pages=pages, heavy=heavy)
        first = last - count + 1
        if heavy:
            stored = await self._stored_copies(events, first, current + 1)
        else:
            stored = [stored_copy(e, first + i, current + 1 + i) for i, e in enumerate(events)]
        return Appended(current + count, stored)

    def _prepare_now(self, events: list[DomainEvent]) -> list[tuple[str, str, str, bytes]]:
        encode_row = self._codec.encode_row
        return [encode_row(e) for e in events]

    async def _prepare(self, events: list[DomainEvent]) -> list[tuple[str, str, str, bytes]]:
        prepared: list[tuple[str, str, str, bytes]] = []
        for start in range(0, len(events), _CHUNK):
            prepared.extend(self._prepare_now(events[start : start + _CHUNK]))
            await asyncio.sleep(0)
        return prepared

    @staticmethod
    async def _stored_copies(events: list[DomainEvent], first_position: int, first_version: int) -> list[Any]:
        stored: list[Any] = []
        for start in range(0, len(events), _CHUNK):
            stored.extend(
                stored_copy(event, first_position + i, first_version + i)
                for i, event in enumerate(events[start : start + _CHUNK], start)
            )
            await asyncio.sleep(0)
        return stored

    async def _read_stream(self, stream_id: str, read_range: ReadRange) -> list[Any]:
        limit = -1 if read_range.limit is None else read_range.limit
        parameters: tuple[str | int, ...]
        if read_range.last is None:
            sql, parameters = self._sql.read_stream, (stream_id, read_range.first, limit)
        else:
            sql = self._sql.read_stream_range
            parameters = (stream_id, read_range.first, read_range.last, limit)
        return await self._db.fetch(sql, parameters, self._decode_rows)

    async def _read_global(
        self, after_position: int, limit: int | None, partition: Partition | None
    ) -> list[Any]:
        size = -1 if limit is None else limit
        if partition is None:
            return await self._db.fetch(self._sql.read_global, (after_position, size), self._decode_rows)
        parameters = (after_position, partition.total, partition.index, size)
        return await self._db.fetch(self._sql.read_partition, parameters, self._decode_rows)

    async def _read_global_envelopes(
        self, after_position: int, limit: int, partition: Partition | None
    ) -> list[EventEnvelope]:
        sql, decode = self._sql, self._decode_envelopes
        if partition is None:
            return await self._db.fetch(sql.read_global_envelopes, (after_position, limit), decode)
        parameters = (after_position, partition.total, partition.index, limit)
        return await self._db.fetch(sql.read_partition_envelopes, parameters, decode)

    async def _read_by_type(self, names: frozenset[str], after_position: int, limit: int) -> list[Any]:
        ordered = sorted(names)
        sql = self._sql.read_by_types(len(ordered))
        return await self._db.fetch(sql, (*ordered, after_position, limit), self._decode_rows)

    async def _get_stream_version(self, stream_id: str) -> int:
        sql = self._sql.stream_version

        def version(connection: sqlite3.Connection) -> int:
            row = connection.execute(sql, (stream_id,)).fetchone()
            return 0 if row is None else int(row[0])

        return await self._db.read(version)

    async def _get_stream_info(self, stream_id: str) -> StreamInfo | None:
        sql = self._sql.stream_info
        row = await self._db.read(lambda c: c.execute(sql, {"id": stream_id}).fetchone())
        if row is None:
            return None
        version, aggregate_type, event_count, oldest, newest = row
        return StreamInfo(
            stream_id=stream_id,
            version=version,
            event_count=event_count,
            created_at=None if oldest is None else datetime.fromisoformat(oldest),
            updated_at=None if newest is None else datetime.fromisoformat(newest),
            aggregate_type=aggregate_type,
        )

    async def _compact(self, stream_id: str, up_to_version: int) -> int:
        sql = self._sql.compact
        deleted: int = await self._db.write(
            lambda c: c.execute(sql, (stream_id, up_to_version)).rowcount, pages=8, heavy=True
        )
        return deleted

    async def _list_stream_ids(self) -> list[str]:
        sql = self._sql.stream_ids
        return await self._db.read(lambda c: [row[0] for row in c.execute(sql)])
