"""``SqliteCheckpointStore``: the conformance suite, and what only SQLite does.

The store shares its file with the event store, a read model written through the session commits
with the checkpoint, nothing leaks before the commit, the loop keeps running during a slow
statement, and the schema has its own migrations.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events import (
    CheckpointStoreError,
    SchemaError,
    SqliteCheckpointStore,
    SqliteConfig,
    SqliteEventStore,
)
from lexigram.events.testing import CheckpointStoreContract
from lexigram.events.testing.contract_events import ConformanceItemAdded


class TestSqliteCheckpointStore(CheckpointStoreContract):
    @pytest.fixture
    async def checkpoint_store(self, tmp_path: Path) -> AsyncIterator[SqliteCheckpointStore]:
        store = SqliteCheckpointStore(SqliteConfig(database=str(tmp_path / "events.db")))
        yield store
        await store.close()


class TestSqliteCheckpointStoreInMemory(CheckpointStoreContract):
    """``:memory:`` gives the store a private database: the same contract, nothing on disk."""

    @pytest.fixture
    async def checkpoint_store(self) -> AsyncIterator[SqliteCheckpointStore]:
        store = SqliteCheckpointStore(SqliteConfig(database=":memory:"))
        yield store
        await store.close()


class TestSqliteCheckpointStoreWithDurableCommitsAndOtherTables(CheckpointStoreContract):
    """``synchronous=FULL``, a rollback journal and table names that are SQL keywords."""

    @pytest.fixture
    async def checkpoint_store(self, tmp_path: Path) -> AsyncIterator[SqliteCheckpointStore]:
        config = SqliteConfig(
            database=str(tmp_path / "events.db"),
            synchronous="FULL",
            journal_mode="DELETE",
            checkpoints_table="order",
            parked_table="group",
        )
        store = SqliteCheckpointStore(config)
        yield store
        await store.close()


@pytest.fixture
def database(tmp_path: Path) -> str:
    return str(tmp_path / "events.db")


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqliteCheckpointStore]:
    checkpoints = SqliteCheckpointStore(SqliteConfig(database=database))
    async with checkpoints.transaction() as transaction:
        await transaction.session.execute("CREATE TABLE totals (id TEXT PRIMARY KEY, amount INTEGER)")
    yield checkpoints
    await checkpoints.close()


def outside(database: str, sql: str) -> list[tuple[object, ...]]:
    """What another connection to the file sees."""
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


async def test_the_store_shares_its_file_with_a_running_event_store(database: str) -> None:
    config = SqliteConfig(database=database)
    events, checkpoints = SqliteEventStore(config=config), SqliteCheckpointStore(config)
    async with checkpoints.transaction() as transaction:
        await transaction.session.execute("CREATE TABLE totals (order_id TEXT PRIMARY KEY, items INTEGER)")

    async def write() -> None:
        for n in range(60):
            order = f"order-{n % 4}"
            await events.append(order, [ConformanceItemAdded(order_id=order, sku=f"sku-{n}")])
            await asyncio.sleep(0)

    async def project() -> None:
        position = 0
        while position < 60:
            batch = await events.read_all(position, 7)
            if not batch:
                await asyncio.sleep(0.001)
                continue
            async with checkpoints.transaction() as transaction:
                await transaction.session.executemany(
                    "INSERT INTO totals VALUES (?, 1) ON CONFLICT (order_id) DO UPDATE SET items = items + 1",
                    [(event.order_id,) for event in batch],
                )
                position = batch[-1].sequence_number
                await transaction.save(Checkpoint("totals", position))

    await asyncio.gather(write(), project())
    assert (await checkpoints.load("totals")).position == 60
    assert outside(database, "SELECT sum(items) FROM totals") == [(60,)]
    assert outside(database, "PRAGMA journal_mode") == [("wal",)]
    tables = {row[0] for row in outside(database, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"events", "projection_checkpoints", "projection_parked", "totals"} <= tables
    await events.close()
    await checkpoints.close()


async def test_nothing_is_visible_before_the_commit(store: SqliteCheckpointStore, database: str) -> None:
    await store.save(Checkpoint("totals", 1))
    async with store.transaction() as transaction:
        await transaction.session.execute("INSERT INTO totals VALUES ('o-1', 5)")
        await transaction.save(Checkpoint("totals", 2))
        await transaction.park(ParkedEvent("totals", "o-2", 2, 1, "OrderPlaced", "boom"))
        assert await transaction.session.fetch("SELECT amount FROM totals") == [(5,)]  # its own writes
        assert outside(database, "SELECT count(*) FROM totals") == [(0,)]
        assert outside(database, "SELECT position FROM projection_checkpoints") == [(1,)]
        assert outside(database, "SELECT count(*) FROM projection_parked") == [(0,)]
    assert outside(database, "SELECT count(*) FROM totals") == [(1,)]
    assert outside(database, "SELECT position FROM projection_checkpoints") == [(2,)]


async def test_a_failing_statement_names_itself_and_rolls_everything_back(
    store: SqliteCheckpointStore,
) -> None:
    async def apply() -> None:
        async with store.transaction() as transaction:
            await transaction.session.execute("INSERT INTO totals VALUES ('o-1', 5)")
            await transaction.save(Checkpoint("totals", 9))
            await transaction.session.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(CheckpointStoreError, match="no_such_table") as raised:
        await apply()
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    assert await store.load("totals") is None
    async with store.transaction() as transaction:
        assert await transaction.session.fetch("SELECT * FROM totals") == []


async def test_a_slow_statement_does_not_block_the_event_loop(store: SqliteCheckpointStore) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    async with store.transaction() as transaction:
        slow = (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
            "SELECT sum(i) FROM n"
        )
        assert await transaction.session.fetch(slow) == [(3000000 * 3000001 // 2,)]
    elapsed = time.monotonic() - started
    ticker.cancel()
    assert elapsed > 0.05, "the statement was too fast to tell"
    assert ticks >= elapsed / 0.005 / 4  # the loop kept ticking while SQLite worked


async def test_the_store_refuses_its_own_methods_inside_its_transaction(store: SqliteCheckpointStore) -> None:
    async with store.transaction() as transaction:
        with pytest.raises(CheckpointStoreError, match="transactions do not nest"):
            await store.load("totals")
        with pytest.raises(CheckpointStoreError, match="transactions do not nest"):
            async with store.transaction():
                pass
        await transaction.save(Checkpoint("totals", 4))
    assert (await store.load("totals")).position == 4


async def test_other_tasks_wait_for_the_transaction(store: SqliteCheckpointStore) -> None:
    release = asyncio.Event()

    async def hold() -> None:
        async with store.transaction() as transaction:
            await transaction.save(Checkpoint("totals", 1))
            await release.wait()
            await transaction.save(Checkpoint("totals", 2))

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    reader = asyncio.create_task(store.load("totals"))
    await asyncio.sleep(0.01)
    assert not reader.done()
    release.set()
    await holder
    assert (await reader).position == 2


async def test_migrations_are_versioned_idempotent_and_kept_apart(database: str) -> None:
    config = SqliteConfig(database=database)
    store = SqliteCheckpointStore(config)
    assert await store.schema_version() == 0
    assert await store.migrate() == [1]
    assert await store.migrate() == []
    assert await store.schema_version() == store.latest_schema_version == 1
    await store.close()
    others = [SqliteCheckpointStore(config) for _ in range(3)]
    assert await asyncio.gather(*(other.migrate() for other in others)) == [[], [], []]
    for other in others:
        await other.close()
    events = SqliteEventStore(config=config)
    assert await events.schema_version() == 0  # the event store keeps its own ledger
    await events.close()
    assert outside(database, "SELECT version FROM projection_checkpoints_schema_migrations") == [(1,)]


async def test_without_auto_create_the_tables_must_exist(database: str) -> None:
    store = SqliteCheckpointStore(SqliteConfig(database=database, auto_create_tables=False))
    with pytest.raises(SchemaError, match="lexigram-events db upgrade"):
        await store.load("totals")
    assert await store.migrate() == [1]
    await store.save(Checkpoint("totals", 1))
    await store.close()


async def test_a_closed_store_opens_again_on_its_next_operation(database: str) -> None:
    store = SqliteCheckpointStore(SqliteConfig(database=database))
    await store.save(Checkpoint("totals", 1))
    await store.close()
    await store.close()
    assert (await store.load("totals")).position == 1
    await store.close()


def test_bad_construction_is_refused(database: str) -> None:
    with pytest.raises(ConfigurationError, match="provider"):
        SqliteCheckpointStore(SqliteConfig(database=database), provider=object())
    with pytest.raises(ConfigurationError, match="SqliteConfig"):
        SqliteCheckpointStore({"database": database})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="checkpoints_table"):
        SqliteConfig(checkpoints_table="bad name")
    with pytest.raises(ConfigurationError, match="parked_table"):
        SqliteConfig(parked_table="1st")


async def test_a_cancelled_transaction_rolls_back_and_frees_the_store(
    store: SqliteCheckpointStore, database: str
) -> None:
    inside = asyncio.Event()

    async def stuck() -> None:
        async with store.transaction() as transaction:
            await transaction.session.execute("INSERT INTO totals VALUES ('o-1', 5)")
            await transaction.save(Checkpoint("totals", 9))
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await store.load("totals") is None
    assert outside(database, "SELECT count(*) FROM totals") == [(0,)]
    await store.save(Checkpoint("totals", 1))  # the write lock was released
    assert outside(database, "SELECT position FROM projection_checkpoints") == [(1,)]


async def test_a_transaction_waits_for_another_writer_without_blocking_the_loop(database: str) -> None:
    store = SqliteCheckpointStore(SqliteConfig(database=database, busy_timeout_ms=150))
    await store.connect()
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(CheckpointStoreError, match="busy_timeout_ms=150"):
        async with store.transaction():
            pass

    async def release_soon() -> None:
        await asyncio.sleep(0.05)
        other.execute("COMMIT")

    releasing = asyncio.create_task(release_soon())
    async with store.transaction() as transaction:  # backs off until the other writer commits
        await transaction.save(Checkpoint("totals", 1))
    await releasing
    other.close()
    assert (await store.load("totals")).position == 1
    await store.close()
