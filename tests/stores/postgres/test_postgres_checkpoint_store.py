"""``PostgresCheckpointStore``: the conformance suite against a real server, and what only PostgreSQL does.

The store shares a pool with the event store, nothing of a transaction is visible before it
commits, a transaction PostgreSQL aborted is never reported as committed, and the schema has its
own idempotent migrations.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events import CheckpointStoreError, EventStoreConnectionError, SchemaError
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.stores.postgres import (
    PostgresCheckpointStore,
    PostgresEventStore,
    PostgresPool,
    PostgresSnapshotStore,
)
from lexigram.events.testing import CheckpointStoreContract
from lexigram.events.testing.contract_events import ConformanceItemAdded

ConfigFactory = Callable[..., PostgresEventStoreConfig]
"""Builds a config whose tables no other test uses (the ``pg_config`` fixture)."""


class TestPostgresCheckpointStore(CheckpointStoreContract):
    parameter_style = "numeric"

    @pytest.fixture
    async def checkpoint_store(self, pg_config: ConfigFactory) -> AsyncIterator[PostgresCheckpointStore]:
        store = PostgresCheckpointStore(pg_config())  # not connected: the first operation connects
        yield store
        await store.close()


class TestPostgresCheckpointStoreOnASmallSharedPool(CheckpointStoreContract):
    """Three connections shared with an event store: 20 concurrent transactions queue for them."""

    parameter_style = "numeric"

    @pytest.fixture
    async def checkpoint_store(self, pg_config: ConfigFactory) -> AsyncIterator[PostgresCheckpointStore]:
        config = pg_config(pool_min_size=0, pool_max_size=3, checkpoints_table="{prefix}_Checkpoints")
        pool = PostgresPool(config)
        events = PostgresEventStore(config=config, provider=pool)
        await events.connect()
        store = PostgresCheckpointStore(config, provider=pool)
        yield store
        await store.close()
        await events.close()


@pytest.fixture
async def store(pg_config: ConfigFactory) -> AsyncIterator[PostgresCheckpointStore]:
    checkpoints = PostgresCheckpointStore(pg_config())
    async with checkpoints.transaction() as transaction:
        await transaction.session.execute(
            f'CREATE TABLE "{table_of(checkpoints)}" (id text PRIMARY KEY, n int)'
        )
    yield checkpoints
    async with checkpoints.transaction() as transaction:
        await transaction.session.execute(f'DROP TABLE "{table_of(checkpoints)}"')
    await checkpoints.close()


def table_of(store: PostgresCheckpointStore) -> str:
    """The read-model table of a test: named after the store's tables, so the fixture drops it too."""
    return f"{store.config.checkpoints_table}_totals"


async def test_the_store_shares_a_pool_with_the_event_store(pg_config: ConfigFactory) -> None:
    config = pg_config(pool_max_size=4)
    pool = PostgresPool(config)
    events = PostgresEventStore(config=config, provider=pool)
    snapshots = PostgresSnapshotStore(config=config, provider=pool)
    checkpoints = PostgresCheckpointStore(config, provider=pool)
    for connectable in (events, snapshots, checkpoints):
        await connectable.connect()
    assert checkpoints.pool is events.pool is pool
    totals = f"{config.checkpoints_table}_totals"
    async with checkpoints.transaction() as transaction:
        await transaction.session.execute(f'CREATE TABLE "{totals}" (order_id text PRIMARY KEY, items int)')

    async def write() -> None:
        for n in range(40):
            order = f"order-{n % 4}"
            await events.append(order, [ConformanceItemAdded(order_id=order, sku=f"sku-{n}")])

    async def project() -> None:
        seen = 0
        while seen < 40:
            checkpoint = await checkpoints.load("totals")
            batch = await events.read_all(0 if checkpoint is None else checkpoint.position, 7)
            if not batch:
                await asyncio.sleep(0.005)
                continue
            async with checkpoints.transaction() as transaction:
                await transaction.session.executemany(
                    f'INSERT INTO "{totals}" VALUES ($1, 1) '
                    f'ON CONFLICT (order_id) DO UPDATE SET items = "{totals}".items + 1',
                    [(event.order_id,) for event in batch],
                )
                await transaction.save(Checkpoint("totals", batch[-1].sequence_number))
            seen += len(batch)

    await asyncio.gather(write(), project())
    async with checkpoints.transaction() as transaction:
        assert await transaction.session.fetch(f'SELECT sum(items)::int FROM "{totals}"') == [(40,)]
    await events.close()
    await snapshots.close()
    assert pool.is_open  # the checkpoint store still uses it
    assert (await checkpoints.load("totals")) is not None
    await checkpoints.close()
    assert not pool.is_open  # closed with its last store


async def test_nothing_is_visible_before_the_commit(
    store: PostgresCheckpointStore, raw_connection: Any
) -> None:
    table, checkpoints = table_of(store), store.config.checkpoints_table
    await store.save(Checkpoint("totals", 1))
    async with store.transaction() as transaction:
        await transaction.session.execute(f'INSERT INTO "{table}" VALUES ($1, $2)', "o-1", 5)
        await transaction.save(Checkpoint("totals", 2))
        await transaction.park(ParkedEvent("totals", "o-2", 2, 1, "OrderPlaced", "boom"))
        assert await transaction.session.fetch(f'SELECT n FROM "{table}"') == [(5,)]  # its own writes
        assert await raw_connection.fetchval(f'SELECT count(*) FROM "{table}"') == 0
        assert await raw_connection.fetchval(f'SELECT position FROM "{checkpoints}"') == 1
    assert await raw_connection.fetchval(f'SELECT count(*) FROM "{table}"') == 1
    assert await raw_connection.fetchval(f'SELECT position FROM "{checkpoints}"') == 2


async def test_a_failing_statement_names_itself_and_rolls_everything_back(
    store: PostgresCheckpointStore,
) -> None:
    async def apply() -> None:
        async with store.transaction() as transaction:
            await transaction.session.execute(f'INSERT INTO "{table_of(store)}" VALUES ($1, $2)', "o-1", 5)
            await transaction.save(Checkpoint("totals", 9))
            await transaction.session.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(CheckpointStoreError, match="no_such_table") as raised:
        await apply()
    assert type(raised.value.__cause__).__name__ == "UndefinedTableError"
    assert await store.load("totals") is None


async def test_an_aborted_transaction_is_never_reported_as_committed(store: PostgresCheckpointStore) -> None:
    async def swallow_the_error() -> None:
        async with store.transaction() as transaction:
            await transaction.save(Checkpoint("totals", 9))
            with pytest.raises(CheckpointStoreError):
                await transaction.session.execute("SELECT 1 / 0")

    with pytest.raises(CheckpointStoreError, match="aborted the transaction"):
        await swallow_the_error()
    assert await store.load("totals") is None

    async with store.transaction() as transaction:  # a savepoint recovers the transaction
        await transaction.save(Checkpoint("totals", 10))
        await transaction.session.execute("SAVEPOINT attempt")
        with pytest.raises(CheckpointStoreError):
            await transaction.session.execute("SELECT 1 / 0")
        await transaction.session.execute("ROLLBACK TO SAVEPOINT attempt")
    assert (await store.load("totals")).position == 10


async def test_migrations_are_idempotent_and_concurrent_connects_apply_them_once(
    pg_config: ConfigFactory, raw_connection: Any
) -> None:
    config = pg_config()
    first = PostgresCheckpointStore(config)
    assert await first.schema_version() == 0
    assert await first.migrate() == [1]
    assert await first.migrate() == []
    assert await first.schema_version() == first.latest_schema_version == 1
    await first.close()

    fresh = pg_config()
    stores = [PostgresCheckpointStore(fresh) for _ in range(4)]
    assert sorted(await asyncio.gather(*(s.migrate() for s in stores))) == [[], [], [], [1]]
    ledger = f'"{fresh.checkpoints_table}_schema_migrations"'
    assert await raw_connection.fetch(f"SELECT version FROM {ledger}") == [(1,)]
    for opened in stores:
        await opened.close()


async def test_without_auto_create_the_tables_must_be_migrated(pg_config: ConfigFactory) -> None:
    store = PostgresCheckpointStore(pg_config(auto_create_tables=False))
    with pytest.raises(SchemaError, match="db upgrade"):
        await store.connect()
    assert await store.migrate() == [1]
    await store.save(Checkpoint("totals", 1))
    await store.close()


async def test_a_foreign_table_with_the_same_name_is_not_taken_over(
    pg_config: ConfigFactory, raw_connection: Any
) -> None:
    config = pg_config()
    await raw_connection.execute(f'CREATE TABLE "{config.parked_table}" (id int)')
    store = PostgresCheckpointStore(config)
    with pytest.raises(SchemaError, match="parked_table"):
        await store.connect()
    await store.close()


async def test_a_closed_store_says_so_until_connected_again(pg_config: ConfigFactory) -> None:
    store = PostgresCheckpointStore(pg_config())
    await store.save(Checkpoint("totals", 1))
    await store.close()
    await store.close()
    with pytest.raises(CheckpointStoreError, match="closed"):
        await store.load("totals")
    with pytest.raises(CheckpointStoreError, match="closed"):
        async with store.transaction():
            pass
    await store.connect()
    assert (await store.load("totals")).position == 1
    await store.close()


async def test_an_unreachable_server_is_a_checkpoint_store_error_without_the_password() -> None:
    config = PostgresEventStoreConfig(dsn="postgresql://app:pw-secret@127.0.0.1:1/events", command_timeout=2)
    store = PostgresCheckpointStore(config)
    with pytest.raises(CheckpointStoreError, match=r"127\.0\.0\.1:1/events") as raised:
        await store.connect()
    assert isinstance(raised.value.__cause__, EventStoreConnectionError)
    assert "pw-secret" not in str(raised.value)
    await store.close()


def test_bad_construction_is_refused(postgres_dsn: str) -> None:
    with pytest.raises(ConfigurationError, match="PostgresEventStoreConfig"):
        PostgresCheckpointStore({"dsn": postgres_dsn})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="parked_table"):
        PostgresCheckpointStore(PostgresEventStoreConfig(dsn=postgres_dsn, parked_table="p" * 50))
    with pytest.raises(TypeError, match="provider"):
        PostgresCheckpointStore(PostgresEventStoreConfig(dsn=postgres_dsn), provider="a pool")
    with pytest.raises(ConfigurationError, match="dsn"):
        PostgresCheckpointStore(PostgresEventStoreConfig())


async def test_names_sort_by_code_point_whatever_the_database_collation(
    store: PostgresCheckpointStore, raw_connection: Any
) -> None:
    await store.connect()
    collations = await raw_connection.fetch(
        "SELECT table_name, collation_name FROM information_schema.columns "
        "WHERE column_name = 'projection_name' AND table_name = ANY($1::text[]) ORDER BY table_name",
        [store.config.checkpoints_table, store.config.parked_table],
    )
    assert [tuple(row) for row in collations] == [
        (store.config.checkpoints_table, "C"),
        (store.config.parked_table, "C"),
    ]


async def test_a_cancelled_transaction_rolls_back_and_returns_its_connection(
    pg_config: ConfigFactory, raw_connection: Any
) -> None:
    store = PostgresCheckpointStore(pg_config(pool_min_size=0, pool_max_size=1))
    inside = asyncio.Event()

    async def stuck() -> None:
        async with store.transaction() as transaction:
            await transaction.save(Checkpoint("totals", 9))
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.wait_for(store.load("totals"), 5) is None  # the only connection is free again
    await store.save(Checkpoint("totals", 1))
    table = store.config.checkpoints_table
    assert await raw_connection.fetchval(f'SELECT position FROM "{table}"') == 1
    await store.close()
