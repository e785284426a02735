"""The SQLite snapshot store beyond the shared contract: faithful states, durability, limits, bad data."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest

from lexigram.events import (
    ConfigurationError,
    EventLoadError,
    EventPersistenceError,
    Snapshot,
    SqliteConfig,
    SqliteEventStore,
    SqliteSnapshotStore,
)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@pytest.fixture
def config(tmp_path: Path) -> SqliteConfig:
    return SqliteConfig(database=str(tmp_path / "events.db"))


@pytest.fixture
async def store(config: SqliteConfig) -> AsyncIterator[SqliteSnapshotStore]:
    opened = SqliteSnapshotStore(config=config)
    yield opened
    await opened.close()


async def test_a_state_comes_back_with_its_python_types_after_reopening(config: SqliteConfig) -> None:
    """Stored as JSON that keeps types (no pickle): what was saved is what comes back."""
    state = {
        "id": uuid4(),
        "paid": Decimal("52.48"),
        "lines": [("LAMP", 2, Decimal("19.99"))],
        "tags": {"gift"},
        "price": Money(Decimal("9.50"), "EUR"),
        "placed_at": datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
    }
    writer = SqliteSnapshotStore(config=config)
    await writer.save_snapshot(
        Snapshot(
            aggregate_id=state["id"], aggregate_type="Order", version=7, state=state, metadata={"by": "t"}
        )
    )
    await writer.close()

    reader = SqliteSnapshotStore(config=config)
    loaded = await reader.get_latest(state["id"])
    assert loaded is not None
    assert loaded.state == state
    assert type(loaded.state["lines"][0]) is tuple
    assert loaded.metadata == {"by": "t"}
    assert loaded.aggregate_id == str(state["id"])
    await reader.close()
    with sqlite3.connect(config.database) as connection:  # plain JSON, readable without lexigram
        paid = connection.execute("SELECT json_extract(content, '$.state.paid.v') FROM snapshots").fetchone()
    assert paid == ("52.48",)


async def test_it_keeps_its_limit_of_snapshots_per_aggregate(config: SqliteConfig) -> None:
    store = SqliteSnapshotStore(config=config, max_snapshots_per_aggregate=2)
    for version in (1, 2, 3, 4):
        await store.save("order-1", {"v": version}, version)
    await store.save("order-2", {"v": 1}, 1)
    assert await store.get_by_version("order-1", 2) is None
    assert [v for v in (1, 2, 3, 4) if await store.get_by_version("order-1", v) is not None] == [3, 4]
    assert await store.load("order-2") == ({"v": 1}, 1)
    await store.close()


async def test_it_shares_a_file_with_the_event_store(config: SqliteConfig) -> None:
    events = SqliteEventStore(config=config)
    snapshots = SqliteSnapshotStore(config=config)
    await events.connect()
    await snapshots.save("order-1", {"status": "open"}, 1)
    assert await events.get_stream_ids() == []
    assert await snapshots.load("order-1") == ({"status": "open"}, 1)
    await events.close()
    await snapshots.close()


async def test_a_state_that_cannot_be_stored_is_refused_and_says_where(store: SqliteSnapshotStore) -> None:
    class LocalClass:
        pass

    with pytest.raises(EventPersistenceError, match=r"state\['thing'\] holds a"):
        await store.save("order-1", {"thing": LocalClass()}, 1)
    assert await store.get_latest("order-1") is None


async def test_an_unreadable_snapshot_says_how_to_recover(
    store: SqliteSnapshotStore, config: SqliteConfig
) -> None:
    await store.save("order-1", {"status": "open"}, 3)
    with sqlite3.connect(config.database) as connection:
        connection.execute("UPDATE snapshots SET content = 'not json'")
    with pytest.raises(EventLoadError, match="delete_old_snapshots"):
        await store.get_latest("order-1")
    assert await store.delete_old_snapshots("order-1", keep_count=0) == 1
    assert await store.get_latest("order-1") is None


async def test_bad_arguments_are_rejected(config: SqliteConfig) -> None:
    with pytest.raises(ValueError, match="max_snapshots_per_aggregate"):
        SqliteSnapshotStore(config=config, max_snapshots_per_aggregate=0)
    with pytest.raises(ConfigurationError, match="provider"):
        SqliteSnapshotStore(config=config, provider=object())
