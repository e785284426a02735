"""Fixtures for the PostgreSQL stores: a real server, fresh tables for every test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.stores.postgres import PostgresEventStore, PostgresSnapshotStore

ConfigFactory = Callable[..., PostgresEventStoreConfig]


@pytest.fixture
async def pg_event_store(pg_config: ConfigFactory) -> AsyncIterator[PostgresEventStore]:
    """A connected event store with empty tables of its own."""
    store = PostgresEventStore(config=pg_config())
    await store.connect()
    yield store
    await store.close()


@pytest.fixture
async def pg_snapshot_store(pg_config: ConfigFactory) -> AsyncIterator[PostgresSnapshotStore]:
    """A connected snapshot store (5 snapshots per aggregate) with an empty table of its own."""
    store = PostgresSnapshotStore(config=pg_config(), max_snapshots_per_aggregate=5)
    await store.connect()
    yield store
    await store.close()


@pytest.fixture
async def raw_connection(postgres_dsn: str) -> AsyncIterator[Any]:
    """A plain asyncpg connection to the test database, for checks from outside the stores."""
    connection = await asyncpg.connect(postgres_dsn)
    yield connection
    await connection.close()
