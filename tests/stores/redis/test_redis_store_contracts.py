"""The Redis stores pass the published conformance suites on a real Redis server."""

from __future__ import annotations

import pytest

from lexigram.events.stores.redis import RedisEventStore, RedisSnapshotStore
from lexigram.events.testing import EventStoreContract, SnapshotStoreContract


class TestRedisEventStore(EventStoreContract):
    """Every check of the contract, with its defaults: gapless positions, 50 appenders, 10 creators."""

    @pytest.fixture
    def event_store(self, redis_event_store: RedisEventStore) -> RedisEventStore:
        return redis_event_store


class TestRedisSnapshotStore(SnapshotStoreContract):
    max_snapshots_per_aggregate = 5

    @pytest.fixture
    def snapshot_store(self, redis_snapshot_store: RedisSnapshotStore) -> RedisSnapshotStore:
        return redis_snapshot_store
