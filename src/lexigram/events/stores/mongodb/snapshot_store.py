"""``MongoDBSnapshotStore``: aggregate snapshots in a MongoDB collection."""

from __future__ import annotations

import asyncio

from lexigram.contracts.documents import Document, DocumentStoreProtocol, DuplicateDocumentError
from lexigram.contracts.events.records import Snapshot
from lexigram.events.stores.mongodb.config import MongoDBConfig
from lexigram.events.stores.snapshot_base import AbstractSnapshotStore
from lexigram.events.stores.snapshot_codec import decode_snapshot, encode_snapshot

__all__ = ["MongoDBSnapshotStore"]


class MongoDBSnapshotStore(AbstractSnapshotStore):
    """MongoDB snapshot store implementation.

    Example::

        config = MongoDBConfig(uri="mongodb://localhost:27017")
        store = MongoDBSnapshotStore(config)
        await store.connect()
        await store.save(Snapshot(aggregate_id="order-123", aggregate_type="Order", version=100,
                                  state=order.to_dict()))
        snapshot = await store.get_latest("order-123")
        await store.close()

    One document per snapshot, with a unique index on ``(aggregate_id, version)``; the snapshot
    itself is JSON in its ``data`` field (see ``lexigram.events.stores.snapshot_codec``). The store
    keeps ``config.max_snapshots_per_aggregate`` versions per aggregate, the highest ones.

    By default it opens its own client from ``config.uri`` on ``connect()`` (the first operation
    calls it) and ``close()`` closes it. Given a ``document_store``, it uses that one and leaves
    closing it to its owner, so it can share the event store's connection.

    Tested against secantusdb, a MongoDB wire-compatible server, not against a real ``mongod``.
    """

    def __init__(
        self, config: MongoDBConfig | None = None, *, document_store: DocumentStoreProtocol | None = None
    ) -> None:
        self.config = MongoDBConfig() if config is None else config
        """Where the snapshots are and how many are kept."""
        if not isinstance(self.config, MongoDBConfig):
            raise TypeError(f"MongoDBSnapshotStore needs a MongoDBConfig, got {type(config).__name__}")
        if document_store is None:
            from lexigram.events.stores.mongodb.document_store import require_pymongo

            require_pymongo()  # fail here, not at the first operation, when the extra is missing
        self._documents = document_store
        self._owns_store = document_store is None
        self._collection = self.config.snapshots_collection
        self._connected = False
        self._connecting = asyncio.Lock()

    @property
    def max_snapshots_per_aggregate(self) -> int:
        """How many snapshots are kept per aggregate."""
        return self.config.max_snapshots_per_aggregate

    async def connect(self) -> None:
        """Open the client (unless one was given) and create the unique index; idempotent."""
        async with self._connecting:
            if self._connected:
                return
            if self._documents is None:
                from lexigram.events.stores.mongodb.document_store import MongoDBDocumentStore

                self._documents = MongoDBDocumentStore(self.config.uri, self.config.database)
            connect = getattr(self._documents, "connect", None)
            if callable(connect):
                await connect()
            await self._documents.create_index(
                self._collection, [("aggregate_id", 1), ("version", 1)], unique=True, name="aggregate_version"
            )
            self._connected = True

    async def close(self) -> None:
        """Close the client when this store opened it."""
        documents, self._connected = self._documents, False
        if self._owns_store and documents is not None:
            self._documents = None
            await documents.close()

    async def _store(self) -> DocumentStoreProtocol:
        if not self._connected:
            await self.connect()
        assert self._documents is not None
        return self._documents

    async def _write_snapshot(self, key: str, snapshot: Snapshot) -> None:
        store = await self._store()
        document: Document = {
            "aggregate_id": key,
            "version": snapshot.version,
            "aggregate_type": snapshot.aggregate_type,
            "timestamp": snapshot.timestamp.isoformat(),
            "data": encode_snapshot(snapshot),
        }
        query = {"aggregate_id": key, "version": snapshot.version}
        try:
            await store.replace_one(self._collection, query, document, upsert=True)
        except DuplicateDocumentError:  # a concurrent save inserted this version first: replace it
            await store.replace_one(self._collection, query, document, upsert=True)
        await self._delete_old(key, self.max_snapshots_per_aggregate)

    async def _latest(self, key: str) -> Snapshot | None:
        store = await self._store()
        found = await store.find_one(self._collection, {"aggregate_id": key}, sort=[("version", -1)])
        return None if found is None else decode_snapshot(found["data"])

    async def _by_version(self, key: str, version: int) -> Snapshot | None:
        store = await self._store()
        found = await store.find_one(self._collection, {"aggregate_id": key, "version": version})
        return None if found is None else decode_snapshot(found["data"])

    async def _delete_old(self, key: str, keep_count: int) -> int:
        store = await self._store()
        query: dict[str, object] = {"aggregate_id": key}
        if keep_count > 0:
            kept = await store.find(
                self._collection,
                query,
                sort=[("version", -1)],
                skip=keep_count - 1,
                limit=1,
                fields=["version"],
            )
            if not kept:
                return 0
            query["version"] = {"$lt": kept[0]["version"]}
        return await store.delete_many(self._collection, query)
