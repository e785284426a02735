"""Fixtures for the encryption tests: master keys, and PostgreSQL tables of their own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from cryptography.fernet import Fernet

from lexigram.events.config import PostgresEventStoreConfig

ALIAS = "events/pii-key"


@pytest.fixture
def master_keys() -> dict[str, bytes]:
    """A fresh master key for the alias the test events use."""
    return {ALIAS: Fernet.generate_key()}


@pytest.fixture
async def pg_tables(postgres_dsn: str) -> AsyncIterator[Callable[..., PostgresEventStoreConfig]]:
    """Build PostgreSQL configs whose tables are the test's own; they are dropped afterwards."""
    prefixes: list[str] = []

    def build(**settings: Any) -> PostgresEventStoreConfig:
        prefix = f"enc{uuid.uuid4().hex[:10]}"
        prefixes.append(prefix)
        for name in ("events_table", "snapshots_table", "checkpoints_table", "parked_table", "leases_table"):
            settings.setdefault(name, f"{prefix}_{name.removesuffix('_table')}")
        settings.setdefault("outbox_table", f"{prefix}_outbox")
        return PostgresEventStoreConfig(dsn=postgres_dsn, **settings)

    build.prefixes = prefixes  # type: ignore[attr-defined]
    yield build
    connection = await asyncpg.connect(postgres_dsn)
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
