"""Fixtures of the saga tests: PostgreSQL configs whose saga tables no other test uses."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from lexigram.events.config import PostgresEventStoreConfig

ConfigFactory = Callable[..., PostgresEventStoreConfig]


@pytest.fixture
async def pg_config(postgres_dsn: str) -> AsyncIterator[ConfigFactory]:
    """Build configs with unique table names; every table they name is dropped afterwards."""
    prefixes: list[str] = []

    def build(**settings: Any) -> PostgresEventStoreConfig:
        prefix = f"s{uuid.uuid4().hex[:12]}"
        prefixes.append(prefix)
        for name in ("events_table", "snapshots_table", "checkpoints_table", "parked_table", "sagas_table"):
            settings.setdefault(name, f"{prefix}_{name.removesuffix('_table')}")
        return PostgresEventStoreConfig(dsn=postgres_dsn, **settings)

    yield build
    connection = await asyncpg.connect(postgres_dsn)
    try:
        for prefix in prefixes:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1",
                prefix + r"\_%",
            )
            for (table,) in tables:
                await connection.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    finally:
        await connection.close()
