"""Versioned schema migrations of the SQLite stores: idempotent, concurrent-safe, explicit when off."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from lexigram.events import SchemaError, SqliteConfig, SqliteEventStore, SqliteSnapshotStore
from lexigram.events.testing.contract_support import placed


@pytest.fixture
def database(tmp_path: Path) -> str:
    return str(tmp_path / "events.db")


async def test_migrate_applies_each_version_once(database: str) -> None:
    store = SqliteEventStore(config=SqliteConfig(database=database))
    assert await store.schema_version() == 0
    assert await store.migrate() == [1, 2]  # the log, then the outbox
    assert await store.migrate() == []
    assert await store.schema_version() == store.latest_schema_version == 2
    await store.close()
    again = SqliteEventStore(config=SqliteConfig(database=database))
    assert await again.migrate() == []
    await again.close()


async def test_stores_migrating_one_file_at_once_apply_each_version_once(database: str) -> None:
    stores = [SqliteEventStore(config=SqliteConfig(database=database)) for _ in range(4)]
    applied = await asyncio.gather(*(store.migrate() for store in stores))
    assert sorted(applied) == [[], [], [], [1, 2]]
    with sqlite3.connect(database) as connection:
        versions = connection.execute("SELECT version FROM events_schema_migrations ORDER BY version")
        assert versions.fetchall() == [(1,), (2,)]
    for store in stores:
        await store.close()


async def test_the_event_and_snapshot_stores_keep_separate_ledgers(database: str) -> None:
    events = SqliteEventStore(config=SqliteConfig(database=database))
    snapshots = SqliteSnapshotStore(config=SqliteConfig(database=database))
    assert await events.migrate() == [1, 2]
    assert await snapshots.schema_version() == 0
    assert await snapshots.migrate() == [1]
    await events.close()
    await snapshots.close()


async def test_without_auto_create_the_tables_must_exist(database: str) -> None:
    config = SqliteConfig(database=database, auto_create_tables=False)
    store = SqliteEventStore(config=config)
    with pytest.raises(SchemaError, match="lexigram-events db upgrade"):
        await store.append("o-1", [placed()])
    assert await store.migrate() == [1, 2]
    assert await store.append("o-1", [placed()]) == 1
    await store.close()


async def test_a_database_from_a_newer_version_is_refused(database: str) -> None:
    store = SqliteEventStore(config=SqliteConfig(database=database))
    await store.connect()
    await store.close()
    with sqlite3.connect(database) as connection:
        connection.execute("INSERT INTO events_schema_migrations VALUES (99, 'from the future', 'later')")
    newer = SqliteEventStore(config=SqliteConfig(database=database))
    with pytest.raises(SchemaError, match="upgrade lexigram-events"):
        await newer.connect()
    await newer.close()


async def test_a_table_that_is_not_ours_is_never_taken_over(database: str) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT)")
    store = SqliteEventStore(config=SqliteConfig(database=database))
    with pytest.raises(SchemaError, match="events_table"):
        await store.connect()
    await store.close()
    with sqlite3.connect(database) as connection:  # the failed migration left nothing behind
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names == {"events"}
