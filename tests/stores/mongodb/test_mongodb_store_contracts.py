"""The MongoDB stores pass the conformance suites on secantusdb, a MongoDB wire-compatible server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lexigram.events.stores.mongodb import (
    MongoDBConfig,
    MongoDBDocumentStore,
    MongoDBEventStore,
    MongoDBSnapshotStore,
)
from lexigram.events.testing import EventStoreContract, SnapshotStoreContract


class TestMongoDBEventStore(EventStoreContract):
    """Every check of the contract, with its defaults: gapless positions, 50 appenders, 10 creators."""

    @pytest.fixture
    def event_store(self, mongo_event_store: MongoDBEventStore) -> MongoDBEventStore:
        return mongo_event_store


class TestMongoDBSnapshotStore(SnapshotStoreContract):
    """The store opens its own client from the config, as in the seed example."""

    max_snapshots_per_aggregate = 5

    @pytest.fixture
    async def snapshot_store(
        self, mongo_config: MongoDBConfig, document_store: MongoDBDocumentStore
    ) -> AsyncIterator[MongoDBSnapshotStore]:
        store = MongoDBSnapshotStore(mongo_config)
        yield store
        await store.close()
