"""Every dead-letter store passes the conformance suite: in memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from lexigram.events.buses.dead_letters import InMemoryDeadLetterStore
from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig
from lexigram.events.stores.postgres.dead_letter_store import PostgresDeadLetterStore
from lexigram.events.stores.sqlite.dead_letter_store import SqliteDeadLetterStore
from lexigram.events.testing.dead_letter_store_contract import DeadLetterStoreContract

PostgresConfigFactory = Callable[..., PostgresEventStoreConfig]


class TestInMemoryDeadLetterStore(DeadLetterStoreContract):
    @pytest.fixture
    def dead_letter_store(self) -> InMemoryDeadLetterStore:
        return InMemoryDeadLetterStore()


class TestSqliteDeadLetterStore(DeadLetterStoreContract):
    @pytest.fixture
    async def dead_letter_store(self, sqlite_config: SqliteConfig) -> AsyncIterator[SqliteDeadLetterStore]:
        store = SqliteDeadLetterStore(sqlite_config)
        yield store
        await store.close()


class TestPostgresDeadLetterStore(DeadLetterStoreContract):
    @pytest.fixture
    async def dead_letter_store(
        self, pg_config: PostgresConfigFactory
    ) -> AsyncIterator[PostgresDeadLetterStore]:
        store = PostgresDeadLetterStore(pg_config())
        yield store
        await store.close()
