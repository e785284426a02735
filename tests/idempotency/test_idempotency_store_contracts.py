"""Every idempotency store passes the conformance suite: in memory, SQLite and PostgreSQL.

The SQLite and PostgreSQL runs race two stores on the same data, as two processes would: two
connections to one file, two pools on one server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig
from lexigram.events.stores.memory.idempotency_store import InMemoryIdempotencyStore
from lexigram.events.stores.postgres.idempotency_store import PostgresIdempotencyStore
from lexigram.events.stores.sqlite.idempotency_store import SqliteIdempotencyStore
from lexigram.events.testing.idempotency_store_contract import (
    IdempotencyStoreContract,
    TransactionalIdempotencyStoreContract,
)

PostgresConfigFactory = Callable[..., PostgresEventStoreConfig]


class TestInMemoryIdempotencyStore(IdempotencyStoreContract):
    @pytest.fixture
    def idempotency_store(self) -> InMemoryIdempotencyStore:
        return InMemoryIdempotencyStore()


class TestSqliteIdempotencyStore(TransactionalIdempotencyStoreContract):
    @pytest.fixture
    async def idempotency_store(self, sqlite_config: SqliteConfig) -> AsyncIterator[SqliteIdempotencyStore]:
        store = SqliteIdempotencyStore(sqlite_config)
        yield store
        await store.close()

    @pytest.fixture
    async def peer_store(self, sqlite_config: SqliteConfig) -> AsyncIterator[SqliteIdempotencyStore]:
        store = SqliteIdempotencyStore(sqlite_config)  # another connection to the same file
        yield store
        await store.close()


class TestPostgresIdempotencyStore(TransactionalIdempotencyStoreContract):
    parameter_style = "numeric"

    @pytest.fixture
    def shared_config(self, pg_config: PostgresConfigFactory) -> PostgresEventStoreConfig:
        return pg_config()

    @pytest.fixture
    async def idempotency_store(
        self, shared_config: PostgresEventStoreConfig
    ) -> AsyncIterator[PostgresIdempotencyStore]:
        store = PostgresIdempotencyStore(shared_config)
        yield store
        await store.close()

    @pytest.fixture
    async def peer_store(
        self, shared_config: PostgresEventStoreConfig
    ) -> AsyncIterator[PostgresIdempotencyStore]:
        store = PostgresIdempotencyStore(shared_config)  # its own pool, as another process would have
        yield store
        await store.close()
