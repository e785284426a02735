"""Fixtures for the PostgreSQL stores: a real server, fresh tables for every test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.stores.postgres import PostgresEventStore, PostgresSnapshotStore

ConfigFactory = Callable[..., PostgresEventStoreConfig]


@pytest.fixture
async def pg_config(postgres_dsn: str) -> AsyncIterator[ConfigFactory]:
    """Build configs whose tables no other test uses; every table they name is dropped afterwards."""
    prefixes: list[str] = []

    def build(**settings: Any) -> PostgresEventStoreConfig:
        """Table names (``events_table``, ``parked_table``...) may contain ``{prefix}``, a unique prefix."""
        prefix = f"t{uuid.uuid4().hex[:12]}"
        settings.setdefault("events_table", "{prefix}_events")
        settings.setdefault("snapshots_table", "{prefix}_snapshots")
        settings.setdefault("checkpoints_table", "{prefix}_checkpoints")
        settings.setdefault("parked_table", "{prefix}_parked")
        settings.setdefault("leases_table", "{prefix}_leases")
        settings.setdefault("idempotency_table", "{prefix}_idempotency")
        settings.setdefault("dead_letters_table", "{prefix}_dead_letters")
        settings.setdefault("sagas_table", "{prefix}_sagas")
        settings.setdefault("pool_max_size", 12)
        named = ("events_table", "snapshots_table", "checkpoints_table", "parked_table", "leases_table")
        for name in (*named, "idempotency_table", "dead_letters_table", "sagas_table"):
            settings[name] = settings[name].format(prefix=prefix)
            prefixes.append(settings[name])
        return PostgresEventStoreConfig(dsn=postgres_dsn, **settings)

    yield build
    connection = await asyncpg.connect(postgres_dsn)
    try:
        for prefix in prefixes:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1",
                prefix.replace("_", r"\_") + "%",
            )
            for (table,) in tables:
                await connection.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    finally:
        await connection.close()


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
