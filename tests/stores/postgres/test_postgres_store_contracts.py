"""The PostgreSQL stores pass the published conformance suites.

The only declared difference: global positions strictly increase but have gaps (they are built
from transaction ids), so ``positions_are_gapless`` is False. No test is skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.stores.postgres import PostgresEventStore, PostgresPool, PostgresSnapshotStore
from lexigram.events.testing import EventStoreContract, SnapshotStoreContract

ConfigFactory = Callable[..., PostgresEventStoreConfig]
"""Builds a config whose tables no other test uses (the ``pg_config`` fixture)."""


class TestPostgresEventStore(EventStoreContract):
    positions_are_gapless = False

    @pytest.fixture
    async def event_store(self, pg_config: ConfigFactory) -> AsyncIterator[PostgresEventStore]:
        store = PostgresEventStore(config=pg_config())  # not connected: the first operation connects
        yield store
        await store.close()


class TestPostgresEventStoreOnASmallSharedPool(EventStoreContract):
    """Two connections shared with a snapshot store: 50 concurrent appenders queue for them."""

    positions_are_gapless = False

    @pytest.fixture
    async def event_store(self, pg_config: ConfigFactory) -> AsyncIterator[PostgresEventStore]:
        config = pg_config(pool_min_size=0, pool_max_size=2, events_table="{prefix}_Order")  # quoted
        pool = PostgresPool(config)
        snapshots = PostgresSnapshotStore(config=config, provider=pool)
        store = PostgresEventStore(config=config, provider=pool)
        await snapshots.connect()
        yield store
        await store.close()
        await snapshots.close()


class TestPostgresSnapshotStore(SnapshotStoreContract):
    max_snapshots_per_aggregate = 5

    @pytest.fixture
    async def snapshot_store(self, pg_config: ConfigFactory) -> AsyncIterator[PostgresSnapshotStore]:
        store = PostgresSnapshotStore(config=pg_config())
        yield store
        await store.close()
