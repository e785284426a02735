"""The SQLite event store beyond the shared contract: durability, its own operations, bad input."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lexigram.events import (
    ConfigurationError,
    DomainEvent,
    EventLoadError,
    EventPersistenceError,
    EventStoreConnectionError,
    SqliteConfig,
    SqliteEventStore,
)
from lexigram.events.stores.serialization import JsonEventSerializer
from lexigram.events.testing.contract_support import collect, item, placed, shipped


@pytest.fixture
def database(tmp_path: Path) -> str:
    return str(tmp_path / "events.db")


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqliteEventStore]:
    opened = SqliteEventStore(config=SqliteConfig(database=database))
    yield opened
    await opened.close()


def tables(database: str) -> set[str]:
    with sqlite3.connect(database) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


async def test_events_survive_closing_and_reopening_the_file(database: str) -> None:
    originals: list[Any] = [
        placed("o-1", note="fragile"),
        item("o-1", sku="SKU-9", quantity=2),
        shipped("o-1"),
    ]
    writer = SqliteEventStore(config=SqliteConfig(database=database))
    assert await writer.append("o-1", originals, expected_version=0) == 3
    await writer.close()

    reader = SqliteEventStore(config=SqliteConfig(database=database))
    stored = await reader.read("o-1")
    assert [type(e) for e in stored] == [type(e) for e in originals]
    assert [e.event_id for e in stored] == [e.event_id for e in originals]
    assert [e.occurred_at for e in stored] == [e.occurred_at for e in originals]
    assert stored[0].total == originals[0].total
    assert stored[2].version == 3
    assert await reader.get_stream_version("o-1") == 3
    assert await reader.append("o-1", [item("o-1")], expected_version=3) == 4
    await reader.close()


async def test_the_schema_is_created_on_first_use(database: str) -> None:
    store = SqliteEventStore(config=SqliteConfig(database=database))
    assert not Path(database).exists()
    assert await store.get_stream_version("o-1") == 0  # no connect() needed
    assert {"events", "events_streams", "events_schema_migrations"} <= tables(database)
    await store.connect()  # idempotent
    await store.close()


async def test_the_configured_pragmas_and_table_names_take_effect(tmp_path: Path) -> None:
    config = SqliteConfig(
        database=str(tmp_path / "custom.db"),
        journal_mode="truncate",
        synchronous="FULL",
        events_table="order_log",
    )
    store = SqliteEventStore(config=config)
    await store.append("o-1", [placed()])
    connection = store._db._connection
    assert connection is not None
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("truncate",)
    assert connection.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert connection.execute("PRAGMA busy_timeout").fetchone() == (0,)  # waits happen in asyncio
    assert {"order_log", "order_log_streams", "order_log_schema_migrations"} <= tables(config.database)
    assert "events" not in tables(config.database)
    await store.close()


async def test_wal_is_the_default_journal(store: SqliteEventStore, database: str) -> None:
    await store.connect()
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_count_find_by_type_and_delete_stream(store: SqliteEventStore) -> None:
    await store.append("a", [placed("a"), item("a", sku="A1"), item("a", sku="A2")])
    await store.append("b", [placed("b"), item("b", sku="B1")])
    assert await store.get_events_count() == 5
    assert await store.get_events_count("a") == 3

    assert [e.sku for e in await store.find_by_type("ConformanceItemAdded")] == ["A1", "A2", "B1"]
    assert [e.sku for e in await store.find_by_type("ConformanceItemAdded", count=1, start=1)] == ["A2"]
    assert [e.sku for e in await store.find_by_type("ConformanceItemAdded", limit=2, offset=1)] == [
        "A2",
        "B1",
    ]
    assert await store.find_by_type("Nothing") == []

    assert await store.delete_stream("a") == 3
    assert await store.read("a") == []
    assert await store.get_stream_version("a") == 0  # forgotten: it can be created anew
    assert await store.get_stream_ids() == ["b"]
    assert await store.append("a", [placed("a")], expected_version=0) == 1
    assert await store.get_events_count() == 3


async def test_positions_are_never_reused_after_the_newest_events_are_compacted(
    store: SqliteEventStore,
) -> None:
    await store.append("s", [item("s"), item("s")])
    await store.compact("s", 2)
    await store.append("s", [item("s", sku="later")])
    (later,) = await store.read_all()
    assert later.sequence_number == 3
    assert later.sku == "later"


async def test_a_registered_type_reads_events_of_another_name(store: SqliteEventStore, database: str) -> None:
    await store.append("o-1", [placed()])
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE events SET event_type = 'LegacyOrder', data = replace(data, ?, ?)",
            (b'"ConformanceOrderPlaced"', b'"LegacyOrder"'),
        )
    reader = SqliteEventStore(config=SqliteConfig(database=database))
    with pytest.raises(EventLoadError, match="register_event_type"):
        await reader.read("o-1")
    reader.register_event_type("LegacyOrder", type(placed()))
    assert (await reader.read("o-1"))[0].order_id == "o-1"
    await reader.close()


async def test_schema_evolution_upcasts_stored_events(database: str) -> None:
    class RenameSku:
        def upcast(self, data: dict[str, Any]) -> dict[str, Any]:
            if data["event_type"] == "ConformanceItemAdded":
                data["sku"] = data["sku"].lower()
            return data

    writer = SqliteEventStore(config=SqliteConfig(database=database))
    await writer.append("o-1", [item(sku="SKU-UPPER")])
    await writer.close()
    reader = SqliteEventStore(config=SqliteConfig(database=database), schema_evolution=RenameSku())
    assert [e.sku for e in await reader.read("o-1")] == ["sku-upper"]
    await reader.close()


async def test_a_failed_serialization_writes_nothing(store: SqliteEventStore, database: str) -> None:
    class FailsOnShipped(JsonEventSerializer):
        def serialize(self, event: DomainEvent) -> bytes:
            if event.event_type == "ConformanceOrderShipped":
                raise EventPersistenceError("cannot serialize a shipment")
            return super().serialize(event)

    picky = SqliteEventStore(config=SqliteConfig(database=database), event_serializer=FailsOnShipped())
    with pytest.raises(EventPersistenceError, match="shipment"):
        await picky.append("o-1", [placed(), item(), shipped()])
    assert await picky.read_all() == []
    assert await picky.get_stream_version("o-1") == 0
    await picky.close()


async def test_a_failure_inside_the_transaction_rolls_everything_back(
    store: SqliteEventStore, database: str
) -> None:
    await store.append("o-1", [placed()])
    with sqlite3.connect(database) as connection:  # a stray row where version 3 will go
        connection.execute(
            "INSERT INTO events (stream_id, version, event_id, event_type, occurred_at, stream_hash, data) "
            "VALUES ('o-1', 3, 'x', 'ConformanceItemAdded', '2024-01-01T00:00:00+00:00', 0, '{}')"
        )
    with pytest.raises(EventPersistenceError, match="UNIQUE"):
        await store.append("o-1", [item(sku="v2"), item(sku="v3")], expected_version=1)
    assert await store.get_stream_version("o-1") == 1
    assert await store.get_events_count("o-1") == 2  # the original and the stray row, nothing more
    assert await store.append("other", [placed("other")]) == 1  # the connection is still usable


async def test_large_appends_and_reads_work_in_chunks_and_let_other_tasks_run(
    store: SqliteEventStore,
) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    events = [item("big", sku=f"SKU-{n}") for n in range(1500)]
    running = asyncio.create_task(ticker())
    try:
        appended = await store.append_returning("big", events, expected_version=0)
        ticks_during_append, ticks = ticks, 0
        stored = await store.read("big")
        ticks_during_read = ticks
    finally:
        running.cancel()
    assert appended.version == 1500
    assert [e.sequence_number for e in appended.events] == list(range(1, 1501))
    assert [e.sku for e in stored] == [e.sku for e in events]
    assert [e.sequence_number for e in stored] == list(range(1, 1501))
    assert ticks_during_append > 0
    assert ticks_during_read > 0
    assert len(await collect(store.stream_all(batch_size=1000))) == 1500


async def test_waiting_for_another_writer_never_blocks_the_event_loop(database: str) -> None:
    store = SqliteEventStore(config=SqliteConfig(database=database, busy_timeout_ms=5000))
    await store.connect()
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another connection holds the write lock
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    running = asyncio.create_task(ticker())
    asyncio.get_running_loop().call_later(0.05, holder.rollback)
    try:
        assert await store.append("o-1", [placed()]) == 1
    finally:
        running.cancel()
        holder.close()
    assert ticks > 1  # the loop kept running while the append waited for the lock
    await store.close()


async def test_a_lock_held_past_busy_timeout_fails_with_a_clear_error(database: str) -> None:
    store = SqliteEventStore(config=SqliteConfig(database=database, busy_timeout_ms=30))
    await store.connect()
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(EventPersistenceError, match="busy_timeout_ms=30"):
            await store.append("o-1", [placed()])
    finally:
        holder.rollback()
        holder.close()
    assert await store.append("o-1", [placed()]) == 1
    await store.close()


async def test_a_cancelled_append_on_the_worker_thread_leaves_the_store_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteEventStore(config=SqliteConfig(database=str(tmp_path / "full.db"), synchronous="FULL"))
    await store.connect()
    worker = store._db._worker
    submitted = asyncio.Event()
    submit = worker.submit

    def spy(work: Any) -> Any:
        submitted.set()
        return submit(work)

    monkeypatch.setattr(worker, "submit", spy)
    task = asyncio.create_task(store.append("o-1", [item(sku=f"SKU-{n}") for n in range(600)]))
    await submitted.wait()  # the transaction is running on the worker thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    version = await store.get_stream_version("o-1")
    assert version in (0, 600)  # all or nothing
    assert await store.get_events_count("o-1") == version
    assert await store.append("o-1", [item()], expected_version=version) == version + 1
    await store.close()


async def test_the_store_reopens_after_close(store: SqliteEventStore) -> None:
    await store.append("o-1", [placed()])
    await store.close()
    await store.close()  # idempotent
    assert await store.get_stream_version("o-1") == 1


async def test_bad_configuration_is_rejected_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="provider"):
        SqliteEventStore(config=SqliteConfig(database=":memory:"), provider=object())
    with pytest.raises(ConfigurationError, match="journal_mode"):
        SqliteEventStore(config=SqliteConfig(journal_mode="sideways"))
    with pytest.raises(TypeError, match="SqliteConfig"):
        SqliteEventStore(config={"database": "x.db"})  # type: ignore[arg-type]
    missing = SqliteEventStore(config=SqliteConfig(database=str(tmp_path / "nowhere" / "events.db")))
    with pytest.raises(EventStoreConnectionError, match="does not exist"):
        await missing.connect()


async def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("this is not a database, " * 100)
    store = SqliteEventStore(config=SqliteConfig(database=str(notes)))
    with pytest.raises(EventStoreConnectionError, match="not a usable SQLite database"):
        await store.append("o-1", [placed()])
    await store.close()
    assert notes.read_text().startswith("this is not a database")


async def test_a_corrupt_event_row_is_reported(store: SqliteEventStore, database: str) -> None:
    await store.append("o-1", [placed()])
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE events SET data = 'not json'")
    with pytest.raises(EventLoadError, match="not valid JSON"):
        await store.read("o-1")
