"""Fixtures for schema evolution: an event store of each backend, as writer and reader of one log."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from legacy_writer import StoreFactory

from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig
from lexigram.events.stores.postgres import PostgresEventStore
from lexigram.events.stores.sqlite import SqliteEventStore


async def _sqlite_stores(tmp_path: Path) -> AsyncIterator[StoreFactory]:
    config = SqliteConfig(database=str(tmp_path / "events.db"))
    opened: list[SqliteEventStore] = []

    def build(**options: Any) -> SqliteEventStore:
        store = SqliteEventStore(config, **options)
        opened.append(store)
        return store

    yield build
    for store in opened:
        await store.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def sql_stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Stores on one SQLite file, then on tables of their own in the test PostgreSQL server."""
    if request.param == "sqlite":
        async for factory in _sqlite_stores(tmp_path):
            yield factory
    else:
        async for factory in _postgres_stores(request.getfixturevalue("postgres_dsn")):
            yield factory


@pytest.fixture
async def sqlite_stores(tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Stores on one SQLite file; each call opens another store on it (all closed afterwards)."""
    async for factory in _sqlite_stores(tmp_path):
        yield factory


async def _postgres_stores(postgres_dsn: str) -> AsyncIterator[StoreFactory]:
    prefix = f"schema{uuid.uuid4().hex[:10]}"
    config = PostgresEventStoreConfig(
        dsn=postgres_dsn,
        events_table=f"{prefix}_events",
        snapshots_table=f"{prefix}_snapshots",
        pool_max_size=4,
    )
    opened: list[PostgresEventStore] = []

    def build(**options: Any) -> PostgresEventStore:
        store = PostgresEventStore(config, **options)
        opened.append(store)
        return store

    yield build
    for store in opened:
        await store.close()
    connection = await asyncpg.connect(postgres_dsn)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1", prefix + "%"
        )
        for (table,) in tables:
            await connection.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    finally:
        await connection.close()
