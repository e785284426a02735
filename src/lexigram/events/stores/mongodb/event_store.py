"""``MongoDBEventStore``: the event-store contract on MongoDB, through ``DocumentStoreProtocol``.

The collections and their documents are described in ``layout``.

An append is one multi-document transaction: it reads the stream document and checks the expected
version, moves the stream version on, increments the counter and inserts the events. The unique
index on ``(stream_id, version)`` makes a duplicate version impossible whatever happens. The counter
is what keeps the global log readable in order: two transactions that both increment it conflict,
and the later one can only take its positions after the earlier one has committed. So commits happen
in position order, a reader that sees position ``n`` sees every position below it, and ``stream_all``
can never skip an event that commits late. Positions are gapless, because an aborted transaction
rolls back its increment too.

The cost: appends are serialized across all streams, one transaction at a time, so throughput is
bounded by the commit latency of one transaction. Since they would be serialized anyway, the
appends of one store instance queue on a local lock instead of conflicting; appenders in other
processes conflict on the counter and are retried by the driver with a growing back-off.
Transactions need a replica set or a sharded cluster; a single-node replica set is enough.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from lexigram.contracts.documents import (
    Document,
    DocumentOperationsProtocol,
    DocumentStoreProtocol,
    DuplicateDocumentError,
)
from lexigram.contracts.events.records import EventEnvelope, StreamInfo
from lexigram.contracts.messages import DomainEvent
from lexigram.events.exceptions import EventPersistenceError
from lexigram.events.stores.arguments import ReadRange, stream_key
from lexigram.events.stores.base import AbstractEventStore, Appended, ensure_expected_version
from lexigram.events.stores.finding import TypeQuery
from lexigram.events.stores.mongodb.config import MongoDBConfig
from lexigram.events.stores.mongodb.layout import Collections, event_document
from lexigram.events.stores.partitioning import Partition, stream_hash
from lexigram.events.stores.serialization import EventCodec
from lexigram.events.stores.stamping import stored_copy

if TYPE_CHECKING:
    from lexigram.contracts.events.stores import EventSerializerProtocol
    from lexigram.events.config import MongoDBEventStoreConfig

__all__ = ["MongoDBEventStore"]

_APPEND_ATTEMPTS = 10  # a duplicate key means another append won a race: re-read and check again


class MongoDBEventStore(AbstractEventStore):
    """MongoDB event store implementation using ``DocumentStoreProtocol``.

    Example::

        documents = MongoDBDocumentStore("mongodb://127.0.0.1:27017/?replicaSet=rs0", "shop")
        store = MongoDBEventStore(documents, MongoDBConfig(database="shop"))
        await store.connect()
        try:
            await store.save("order-123", [event], expected_version=0)
        finally:
            await store.close()
            await documents.close()

    ``config`` gives the collection names (a ``MongoDBConfig`` or the ``MongoDBEventStoreConfig``
    section; None: the defaults). ``connect()`` creates the indexes; the first operation calls it
    when nobody did. The store does not own a document store it is given, so ``close()`` leaves it
    open; ``from_config`` builds a store that owns its ``MongoDBDocumentStore`` and closes it.
    ``watch_events`` follows new events with change streams, or by polling when the server has none.

    Tested against secantusdb, a MongoDB wire-compatible server, not against a real ``mongod``.
    """

    def __init__(
        self,
        document_store: DocumentStoreProtocol,
        config: MongoDBConfig | MongoDBEventStoreConfig | None = None,
        event_serializer: EventSerializerProtocol | None = None,
        *,
        schema_evolution: Any = None,
    ) -> None:
        super().__init__(schema_evolution)
        if not callable(getattr(document_store, "run_transaction", None)):
            raise TypeError(
                "MongoDBEventStore needs a DocumentStoreProtocol (with run_transaction), "
                f"got {document_store!r}"
            )
        self.document_store = document_store
        """The document database the events live in."""
        self.collections = Collections.of(config)
        """The names of the events, streams and counters collections."""
        self._codec = EventCodec(event_serializer, schema_evolution)
        self._use_serializer_hooks(self._codec.serializer)
        self._counter_id = f"{self.collections.events}.position"
        self._owns_store = False
        self._connected = False
        self._connecting = asyncio.Lock()
        self._appending = asyncio.Lock()  # this instance's appends queue here instead of conflicting

    @classmethod
    def from_config(
        cls,
        config: MongoDBConfig | MongoDBEventStoreConfig,
        event_serializer: EventSerializerProtocol | None = None,
        *,
        schema_evolution: Any = None,
    ) -> Self:
        """Build a store with its own ``MongoDBDocumentStore``, which ``close()`` closes."""
        from lexigram.events.stores.mongodb.document_store import MongoDBDocumentStore

        settings = config if isinstance(config, MongoDBConfig) else MongoDBConfig.from_section(config)
        documents = MongoDBDocumentStore(settings.uri, settings.database)
        store = cls(documents, settings, event_serializer, schema_evolution=schema_evolution)
        store._owns_store = True
        return store

    def __repr__(self) -> str:
        return f"MongoDBEventStore({self.document_store!r}, events={self.collections.events!r})"

    # --- lifecycle -----------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect the document store (when it can) and create the indexes; idempotent."""
        async with self._connecting:
            if self._connected:
                return
            connect = getattr(self.document_store, "connect", None)
            if callable(connect):
                await connect()
            names = self.collections
            await self.document_store.create_index(
                names.events, [("stream_id", 1), ("version", 1)], unique=True, name="stream_version"
            )
            await self.document_store.create_index(
                names.events, [("event_type", 1), ("_id", 1)], name="type_position"
            )
            self._connected = True

    async def close(self) -> None:
        """Close the document store when this store created it (``from_config``)."""
        self._connected = False
        if self._owns_store:
            await self.document_store.close()

    async def _store(self) -> DocumentStoreProtocol:
        if not self._connected:
            await self.connect()
        return self.document_store

    # --- extras --------------------------------------------------------------------------------

    def register_event_type(self, name: str, cls: type[DomainEvent]) -> None:
        """Read stored events of type ``name`` as instances of ``cls``."""
        self._codec.register_event_type(name, cls)

    async def get_events_count(self, stream_id: str | UUID | None = None) -> int:
        """Return how many events are stored, in one stream or (None) in the whole store."""
        query = {} if stream_id is None else {"stream_id": stream_key(stream_id)}
        return await (await self._store()).count(self.collections.events, query)

    async def delete_stream(self, stream_id: str | UUID) -> int:
        """Delete a stream and all its events in one transaction; return how many events were deleted.

        Unlike ``compact``, the stream is forgotten: its version goes back to 0, so it can be
        created again (with ``expected_version=0``). Use it to erase data, not to trim history.
        """
        key = stream_key(stream_id)
        names = self.collections

        async def work(operations: DocumentOperationsProtocol) -> int:
            await operations.delete_many(names.streams, {"_id": key})
            return await operations.delete_many(names.events, {"stream_id": key})

        return await (await self._store()).run_transaction(work)

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
        documents = await (await self._store()).find(
            self.collections.events,
            {"event_type": query.event_type},
            sort=[("_id", 1)],
            skip=query.skip,
            limit=query.limit,
            fields=["version", "data"],
        )
        return self._decode(documents)

    def watch_events(
        self,
        event_types: Iterable[str | type] | None = None,
        *,
        from_position: int | None = None,
        poll_interval: float = 1.0,
    ) -> AsyncGenerator[Any, None]:
        """Yield new events as they are stored, in global order, until the caller stops iterating.

        Uses a change stream when the document store offers one (``DocumentWatchProtocol``) and the
        server accepts it; otherwise it polls every ``poll_interval`` seconds. With
        ``from_position``, the events after that position are yielded first, then the new ones,
        with none missed or repeated; without it, only events stored after the watch starts.
        ``event_types`` keeps only those types (names or classes). Stop with ``await
        watch.aclose()`` (or by leaving an ``async for``), which closes the change stream.
        """
        from lexigram.events.stores.mongodb.watching import EventWatch

        return EventWatch(self, event_types, from_position, poll_interval).events()

    # --- primitives ----------------------------------------------------------------------------

    async def _append_to_stream(
        self, stream_id: str, events: list[DomainEvent], expected_version: int | None
    ) -> Appended:
        encoded = [(event, self._codec.encode(event)) for event in events]
        aggregate_type = next((e.aggregate_type for e in events if e.aggregate_type), None)
        hashed = stream_hash(stream_id)
        names, count = self.collections, len(events)

        async def work(operations: DocumentOperationsProtocol) -> tuple[int, int]:
            stream = await operations.find_one(names.streams, {"_id": stream_id})
            current = 0 if stream is None else int(stream["version"])
            ensure_expected_version(stream_id, expected_version, current)
            if stream is None:
                created = {
                    "_id": stream_id,
                    "version": count,
                    "aggregate_type": aggregate_type,
                    "hash": hashed,
                }
                await operations.insert_many(names.streams, [created])
            else:
                changes: dict[str, Any] = {"version": current + count}
                if stream.get("aggregate_type") is None and aggregate_type is not None:
                    changes["aggregate_type"] = aggregate_type
                await operations.update_one(
                    names.streams, {"_id": stream_id, "version": current}, {"$set": changes}
                )
            counter = await operations.find_one_and_update(
                names.counters, {"_id": self._counter_id}, {"$inc": {"value": count}}, upsert=True
            )
            if counter is None:
                raise EventPersistenceError("the position counter could not be incremented")
            first = int(counter["value"]) - count + 1
            documents = [
                event_document(stream_id, hashed, event, data, first + i, current + 1 + i)
                for i, (event, data) in enumerate(encoded)
            ]
            await operations.insert_many(names.events, documents)
            return current, first

        store = await self._store()
        for attempt in range(1, _APPEND_ATTEMPTS + 1):
            try:
                async with self._appending:
                    current, first = await store.run_transaction(work)
                break
            except DuplicateDocumentError as exc:
                if attempt == _APPEND_ATTEMPTS:
                    raise EventPersistenceError(
                        f"appending to stream '{stream_id}' kept colliding with stored events ({exc}); "
                        f"the '{names.events}' and '{names.streams}' collections disagree about the "
                        "stream's version, so check that nothing else writes to them",
                        details={"stream_id": stream_id},
                    ) from exc
        stored = [stored_copy(event, first + i, current + 1 + i) for i, event in enumerate(events)]
        return Appended(current + count, stored)

    async def _read_stream(self, stream_id: str, read_range: ReadRange) -> list[Any]:
        versions: dict[str, int] = {"$gte": read_range.first}
        if read_range.last is not None:
            versions["$lte"] = read_range.last
        documents = await (await self._store()).find(
            self.collections.events,
            {"stream_id": stream_id, "version": versions},
            sort=[("version", 1)],
            limit=read_range.limit,
            fields=["version", "data"],
        )
        return self._decode(documents)

    async def _read_global(
        self, after_position: int, limit: int | None, partition: Partition | None
    ) -> list[Any]:
        return await self._find_in_order(_global_query(after_position, partition), limit)

    async def _read_global_envelopes(
        self, after_position: int, limit: int, partition: Partition | None
    ) -> list[EventEnvelope]:
        documents = await (await self._store()).find(
            self.collections.events,
            _global_query(after_position, partition),
            sort=[("_id", 1)],
            limit=limit,
            fields=["stream_id", "version", "data"],
        )
        decode = self._codec.decode
        envelopes: list[EventEnvelope] = []
        for document in documents:
            position, version = int(document["_id"]), int(document["version"])
            event = decode(document["data"], position, version)
            envelopes.append(EventEnvelope(event, str(document["stream_id"]), version, position))
        return envelopes

    async def _read_by_type(self, names: frozenset[str], after_position: int, limit: int) -> list[Any]:
        return await self._find_in_order(
            {"event_type": {"$in": sorted(names)}, "_id": {"$gt": after_position}}, limit
        )

    async def _get_stream_version(self, stream_id: str) -> int:
        stream = await (await self._store()).find_one(self.collections.streams, {"_id": stream_id})
        return 0 if stream is None else int(stream["version"])

    async def _get_stream_info(self, stream_id: str) -> StreamInfo | None:
        store, names = await self._store(), self.collections
        stream = await store.find_one(names.streams, {"_id": stream_id})
        if stream is None:
            return None
        query = {"stream_id": stream_id}
        oldest = await store.find(names.events, query, sort=[("version", 1)], limit=1, fields=["occurred_at"])
        newest = await store.find(
            names.events, query, sort=[("version", -1)], limit=1, fields=["occurred_at"]
        )
        return StreamInfo(
            stream_id=stream_id,
            version=int(stream["version"]),
            event_count=await store.count(names.events, query),
            created_at=datetime.fromisoformat(oldest[0]["occurred_at"]) if oldest else None,
            updated_at=datetime.fromisoformat(newest[0]["occurred_at"]) if newest else None,
            aggregate_type=stream.get("aggregate_type"),
        )

    async def _compact(self, stream_id: str, up_to_version: int) -> int:
        query = {"stream_id": stream_id, "version": {"$lte": up_to_version}}
        return await (await self._store()).delete_many(self.collections.events, query)

    async def _list_stream_ids(self) -> list[str]:
        streams = await (await self._store()).find(
            self.collections.streams, {}, sort=[("_id", 1)], fields=["_id"]
        )
        return [str(stream["_id"]) for stream in streams]

    # --- helpers -------------------------------------------------------------------------------

    async def _find_in_order(self, query: dict[str, Any], limit: int | None) -> list[Any]:
        documents = await (await self._store()).find(
            self.collections.events, query, sort=[("_id", 1)], limit=limit, fields=["version", "data"]
        )
        return self._decode(documents)

    def _decode(self, documents: list[Document]) -> list[Any]:
        decode = self._codec.decode
        return [
            decode(document["data"], int(document["_id"]), int(document["version"])) for document in documents
        ]


def _global_query(after_position: int, partition: Partition | None) -> dict[str, Any]:
    """The events after a position, in the partition (if any)."""
    query: dict[str, Any] = {"_id": {"$gt": after_position}}
    if partition is not None:
        query["hash"] = {"$mod": [partition.total, partition.index]}
    return query
