"""Fixtures for the dead-letter tests: configs whose tables no other test uses."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig

PostgresConfigFactory = Callable[..., PostgresEventStoreConfig]


@pytest.fixture
def sqlite_config(tmp_path: Path) -> SqliteConfig:
    """A config on a new database file in the test's folder."""
    return SqliteConfig(database=str(tmp_path / "app.db"))


async def _drop_tables(dsn: str, prefixes: list[str]) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        for prefix in prefixes:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1",
                prefix + "%",
            )
            for (table,) in tables:
                await connection.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    finally:
        await connection.close()


@pytest.fixture
def pg_config(postgres_dsn: str) -> Iterator[PostgresConfigFactory]:
    """Build configs with tables of their own (all prefixed); every such table is dropped afterwards."""
    prefixes: list[str] = []

    def build(**settings: Any) -> PostgresEventStoreConfig:
        prefix = f"i{uuid.uuid4().hex[:12]}"
        prefixes.append(prefix)
        for name in ("events_table", "snapshots_table", "checkpoints_table", "parked_table", "leases_table"):
            settings.setdefault(name, f"{prefix}_{name.removesuffix('_table')}")
        settings.setdefault("idempotency_table", f"{prefix}_keys")
        settings.setdefault("dead_letters_table", f"{prefix}_dead_letters")
        settings.setdefault("pool_max_size", 8)
        return PostgresEventStoreConfig(dsn=postgres_dsn, **settings)

    yield build
    if prefixes:  # dropped from a thread of its own: this fixture may be torn down inside the test's loop
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(asyncio.run, _drop_tables(postgres_dsn, prefixes)).result()
