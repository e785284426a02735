"""Durable backends for projection tests: an event store and a checkpoint store in one database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from lexigram.events import PostgresEventStoreConfig, PostgresPool, SqliteConfig
from lexigram.events.stores.postgres import PostgresEventStore
from lexigram.events.stores.postgres.checkpoint_store import PostgresCheckpointStore
from lexigram.events.stores.sqlite import SqliteEventStore
from lexigram.events.stores.sqlite.checkpoint_store import SqliteCheckpointStore

from .backends import Backend


@pytest.fixture(params=["sqlite", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Each test runs once on SQLite (a file) and once on PostgreSQL (tables of its own)."""
    prefix = f"p{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite":
        config = SqliteConfig(database=str(tmp_path / "app.db"))
        events = SqliteEventStore(config)
        checkpoints = SqliteCheckpointStore(config)
        await events.connect()
        await checkpoints.connect()
        yield Backend("sqlite", events, checkpoints, prefix, config)
        await checkpoints.close()
        await events.close()
        return
    dsn: str = request.getfixturevalue("postgres_dsn")
    pg_config = PostgresEventStoreConfig(
        dsn=dsn,
        events_table=f"{prefix}_events",
        snapshots_table=f"{prefix}_snapshots",
        checkpoints_table=f"{prefix}_checkpoints",
        parked_table=f"{prefix}_parked",
        pool_max_size=8,
    )
    pool = PostgresPool(pg_config)
    pg_events = PostgresEventStore(pg_config, provider=pool)
    pg_checkpoints = PostgresCheckpointStore(pg_config, provider=pool)
    await pg_events.connect()
    await pg_checkpoints.connect()
    yield Backend("postgres", pg_events, pg_checkpoints, prefix, pg_config)
    await pg_checkpoints.close()
    await pg_events.close()
    connection = await asyncpg.connect(dsn)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1",
            prefix + "%",
        )
        for (table,) in tables:
            await connection.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    finally:
        await connection.close()
