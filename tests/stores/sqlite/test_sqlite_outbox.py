"""The SQLite event store's outbox: the conformance suite, with relays on separate connections."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events import SqliteConfig, SqliteEventStore
from lexigram.events.testing.outbox_store_contract import OutboxContractEvent, OutboxStoreContract


class TestSqliteOutbox(OutboxStoreContract):
    @pytest.fixture
    async def outbox_store(self, tmp_path: Path) -> AsyncIterator[SqliteEventStore]:
        store = SqliteEventStore(SqliteConfig(database=str(tmp_path / "events.db")), outbox=True)
        yield store
        await store.close()

    @pytest.fixture
    def same_database(self, tmp_path: Path) -> Callable[[], SqliteEventStore]:
        return lambda: SqliteEventStore(SqliteConfig(database=str(tmp_path / "events.db")), outbox=True)


async def test_the_outbox_rows_commit_with_the_events(tmp_path: Path) -> None:
    database = tmp_path / "events.db"
    store = SqliteEventStore(SqliteConfig(database=str(database), outbox_table="to_publish"), outbox=True)
    await store.append("order-1", [OutboxContractEvent(n=1), OutboxContractEvent(n=2)])
    await store.close()
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT o.position, o.stream_id, e.version FROM to_publish o JOIN events e USING (position)"
        ).fetchall()
    assert [(stream, version) for _, stream, version in rows] == [("order-1", 1), ("order-1", 2)]


async def test_a_store_without_an_outbox_writes_no_rows(tmp_path: Path) -> None:
    database = tmp_path / "events.db"
    store = SqliteEventStore(SqliteConfig(database=str(database)))
    await store.append("order-1", [OutboxContractEvent(n=1)])
    with pytest.raises(ConfigurationError, match="outbox=True"):
        _ = store.outbox
    await store.close()
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM events_outbox").fetchone() == (0,)
