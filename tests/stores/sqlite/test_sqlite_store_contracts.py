"""The SQLite stores pass the published conformance suites, exactly as the in-memory stores do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lexigram.events import SqliteConfig
from lexigram.events.stores.sqlite import SqliteEventStore, SqliteSnapshotStore
from lexigram.events.testing import EventStoreContract, SnapshotStoreContract


class TestSqliteEventStore(EventStoreContract):
    @pytest.fixture
    async def event_store(self, tmp_path: Path) -> AsyncIterator[SqliteEventStore]:
        store = SqliteEventStore(config=SqliteConfig(database=str(tmp_path / "events.db")))
        yield store
        await store.close()


class TestSqliteEventStoreInMemory(EventStoreContract):
    """``:memory:`` gives each store a private database: the same contract, nothing on disk."""

    @pytest.fixture
    async def event_store(self) -> AsyncIterator[SqliteEventStore]:
        store = SqliteEventStore(config=SqliteConfig(database=":memory:"))
        yield store
        await store.close()


class TestSqliteEventStoreWithDurableCommits(EventStoreContract):
    """``synchronous=FULL`` commits on the store's worker thread; the contract is unchanged."""

    @pytest.fixture
    async def event_store(self, tmp_path: Path) -> AsyncIterator[SqliteEventStore]:
        config = SqliteConfig(database=str(tmp_path / "events.db"), synchronous="FULL", events_table="log")
        store = SqliteEventStore(config=config)
        yield store
        await store.close()


class TestSqliteSnapshotStore(SnapshotStoreContract):
    max_snapshots_per_aggregate = 5

    @pytest.fixture
    async def snapshot_store(self, tmp_path: Path) -> AsyncIterator[SqliteSnapshotStore]:
        store = SqliteSnapshotStore(config=SqliteConfig(database=str(tmp_path / "events.db")))
        yield store
        await store.close()
