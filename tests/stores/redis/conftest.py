"""Fixtures for the Redis stores: a real Redis server, one unique namespace per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from lexigram.events.stores.redis import RedisEventStore, RedisSnapshotStore, RedisStateStore


@pytest.fixture
def namespace() -> str:
    """A namespace no other test uses."""
    return f"test-{uuid.uuid4().hex[:12]}:events"


@pytest.fixture
async def state_store(redis_url: str) -> AsyncIterator[RedisStateStore]:
    """A connection to the test server, closed after the test."""
    store = RedisStateStore(redis_url)
    yield store
    await store.close()


@pytest.fixture
def redis_event_store(state_store: RedisStateStore, namespace: str) -> RedisEventStore:
    """An empty event store."""
    return RedisEventStore(state_store, namespace=namespace)


@pytest.fixture
def redis_snapshot_store(state_store: RedisStateStore, namespace: str) -> RedisSnapshotStore:
    """An empty snapshot store keeping 5 snapshots per aggregate."""
    return RedisSnapshotStore(state_store, namespace=namespace, max_snapshots_per_aggregate=5)
