"""The PostgreSQL event store beyond the shared contract: its lifecycle, schema, extras and failures."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events import DomainEvent, Event
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import (
    ConcurrencyError,
    EventPersistenceError,
    EventStoreConnectionError,
    SchemaError,
)
from lexigram.events.stores.postgres import PostgresEventStore, PostgresPool, PostgresSnapshotStore
from lexigram.events.stores.postgres import appender as appender_module
from lexigram.events.testing.contract_events import ConformanceItemAdded, ConformanceOrderShipped

ConfigFactory = Callable[..., PostgresEventStoreConfig]
"""Builds a config whose tables no other test uses (the ``pg_config`` fixture)."""


class PgBasketFilled(DomainEvent):
    basket_id: str
    lines: dict[str, int]
    note: str = ""


class PgBasketEmptied(DomainEvent):
    basket_id: str


def item(stream_id: str, sku: str = "SKU-1") -> ConformanceItemAdded:
    return ConformanceItemAdded(order_id=stream_id, sku=sku)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class CountingConnection:
    """Wraps an asyncpg connection and counts the statements sent through it."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.statements = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.connection, name)
        if name in ("fetch", "fetchrow", "fetchval", "execute"):

            async def counted(*args: Any, **kwargs: Any) -> Any:
                self.statements += 1
                return await attribute(*args, **kwargs)

            return counted
        return attribute


# --- lifecycle -----------------------------------------------------------------------------------


async def test_a_store_connects_on_first_use_and_closes_idempotently(pg_config: ConfigFactory) -> None:
    store = PostgresEventStore(config=pg_config())
    assert await store.append("cart-1", [item("cart-1")]) == 1
    await store.connect()  # already connected: nothing happens
    await store.close()
    await store.close()

    with pytest.raises(EventStoreConnectionError, match=r"closed; call `await store.connect\(\)`"):
        await store.read("cart-1")
    await store.connect()  # reopening is explicit
    try:
        assert len(await store.read("cart-1")) == 1
    finally:
        await store.close()


async def test_the_config_takes_effect(pg_config: ConfigFactory, raw_connection: Any) -> None:
    config = pg_config(pool_min_size=2, pool_max_size=3, command_timeout=0.5, events_table="{prefix}_Ledger")
    store = PostgresEventStore(config=config)
    await store.connect()
    try:
        pool: Any = store.pool._pool
        assert (pool.get_min_size(), pool.get_max_size()) == (2, 3)
        assert await raw_connection.fetchval("SELECT to_regclass($1)", f'"{config.events_table}"') is not None

        # command_timeout: an append waiting on a lock held elsewhere gives up with a clear error
        await store.append("held", [item("held")])
        transaction = raw_connection.transaction()
        await transaction.start()
        await raw_connection.execute(store._sql.lock_stream, "held")
        with pytest.raises(EventPersistenceError, match="command_timeout"):
            await store.append("held", [item("held")])
        await transaction.rollback()
        assert await store.append("held", [item("held")]) == 2
    finally:
        await store.close()


async def test_without_auto_create_the_schema_must_be_migrated_first(pg_config: ConfigFactory) -> None:
    config = pg_config(auto_create_tables=False)
    store = PostgresEventStore(config=config)
    try:
        assert await store.schema_version() == 0
        with pytest.raises(SchemaError, match="lexigram-events db upgrade"):
            await store.connect()
        with pytest.raises(SchemaError):
            await store.append("cart-1", [item("cart-1")])

        assert await store.migrate() == [1, 2]  # the log, then the outbox
        assert await store.migrate() == []
        assert await store.schema_version() == 2
        assert await store.append("cart-1", [item("cart-1")]) == 1
    finally:
        await store.close()


async def test_processes_connecting_at_once_apply_each_migration_once(
    pg_config: ConfigFactory, raw_connection: Any
) -> None:
    config = pg_config()
    stores = [PostgresEventStore(config=config) for _ in range(6)]  # separate pools, like processes
    try:
        await asyncio.gather(*(store.connect() for store in stores))
        versions = await raw_connection.fetch(
            f'SELECT version FROM "{config.events_table}_schema_migrations" ORDER BY version'
        )
        assert [row[0] for row in versions] == [1, 2]
        assert {await store.schema_version() for store in stores} == {2}
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_a_foreign_table_with_the_same_name_is_not_taken_over(
    pg_config: ConfigFactory, raw_connection: Any
) -> None:
    config = pg_config()
    await raw_connection.execute(f'CREATE TABLE "{config.events_table}" (id int)')
    store = PostgresEventStore(config=config)
    try:
        with pytest.raises(SchemaError, match="not created by this store"):
            await store.connect()
    finally:
        await store.close()


async def test_a_newer_schema_is_refused(pg_config: ConfigFactory, raw_connection: Any) -> None:
    config = pg_config()
    store = PostgresEventStore(config=config)
    await store.connect()
    await store.close()
    await raw_connection.execute(
        f"INSERT INTO \"{config.events_table}_schema_migrations\" (version, description) VALUES (9, 'future')"
    )
    newer = PostgresEventStore(config=config)
    try:
        with pytest.raises(SchemaError, match="upgrade lexigram-events"):
            await newer.connect()
    finally:
        await newer.close()


# --- connections and configuration errors ------------------------------------------------------


async def test_an_unreachable_server_fails_fast_without_showing_the_password() -> None:
    port = _free_port()
    config = PostgresEventStoreConfig(dsn=f"postgresql://app:s3cret-pw@127.0.0.1:{port}/events")
    store = PostgresEventStore(config=config)
    with pytest.raises(EventStoreConnectionError) as caught:
        await store.connect()
    assert f"127.0.0.1:{port}/events as user app" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in repr(config)
    await store.close()


async def test_an_unknown_database_is_a_connection_error(postgres_dsn: str) -> None:
    dsn = postgres_dsn.rsplit("/", 1)[0] + "/no_such_database"
    store = PostgresEventStore(config=PostgresEventStoreConfig(dsn=dsn))
    with pytest.raises(EventStoreConnectionError, match="no_such_database"):
        await store.append("cart-1", [item("cart-1")])
    await store.close()


def test_bad_settings_are_rejected_when_the_store_is_built(postgres_dsn: str) -> None:
    with pytest.raises(ConfigurationError, match="dsn is not set"):
        PostgresEventStore(config=PostgresEventStoreConfig())
    with pytest.raises(ConfigurationError, match="pool_min_size"):
        PostgresEventStore(
            config=PostgresEventStoreConfig(dsn=postgres_dsn, pool_min_size=5, pool_max_size=2)
        )
    with pytest.raises(ConfigurationError, match="at most 45 characters"):
        PostgresEventStore(config=PostgresEventStoreConfig(dsn=postgres_dsn, events_table="e" * 50))
    with pytest.raises(TypeError, match="provider must be an asyncpg pool"):
        PostgresEventStore(config=PostgresEventStoreConfig(dsn=postgres_dsn), provider="a pool, honest")


def test_a_missing_driver_says_what_to_install(monkeypatch: pytest.MonkeyPatch, postgres_dsn: str) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    with pytest.raises(ImportError, match=r"pip install 'lexigram-events\[postgres\]'"):
        PostgresEventStore(config=PostgresEventStoreConfig(dsn=postgres_dsn))


async def test_a_borrowed_pool_is_used_and_left_open(pg_config: ConfigFactory, postgres_dsn: str) -> None:
    pool = await asyncpg.create_pool(postgres_dsn, min_size=1, max_size=2)
    try:
        store = PostgresEventStore(config=pg_config(), provider=pool)
        assert await store.append("cart-1", [item("cart-1")]) == 1
        await store.close()
        assert await pool.fetchval("SELECT 1") == 1
        await store.connect()  # the same borrowed pool again
        assert await store.append("cart-1", [item("cart-1")]) == 2
        await store.close()
    finally:
        await pool.close()


async def test_stores_sharing_a_pool_close_it_with_the_last_one(pg_config: ConfigFactory) -> None:
    config = pg_config()
    pool = PostgresPool(config)
    events = PostgresEventStore(config=config, provider=pool)
    snapshots = PostgresSnapshotStore(config=config, provider=pool)
    await asyncio.gather(events.connect(), snapshots.connect())
    await events.append("cart-1", [item("cart-1")])
    await events.close()
    assert pool.is_open
    await snapshots.save("cart-1", {"lines": 1}, 1)
    await snapshots.close()
    assert not pool.is_open


# --- appending -----------------------------------------------------------------------------------


async def test_an_append_is_one_statement_whatever_the_batch_size(
    pg_event_store: PostgresEventStore, raw_connection: Any
) -> None:
    counting = CountingConnection(raw_connection)
    for size in (1, 100):
        counting.statements = 0
        await pg_event_store.append_on(counting, f"batch-{size}", [item("b") for _ in range(size)])
        assert counting.statements == 1
    assert await pg_event_store.get_stream_version("batch-100") == 100


async def test_appends_inside_a_transaction_commit_or_roll_back_with_it(
    pg_event_store: PostgresEventStore, raw_connection: Any
) -> None:
    async with raw_connection.transaction():
        first = await pg_event_store.append_on(raw_connection, "cart-1", [item("cart-1"), item("cart-1")])
        second = await pg_event_store.append_on(
            raw_connection, "cart-1", [item("cart-1")], expected_version=2
        )
        other = await pg_event_store.append_on(raw_connection, "cart-2", [item("cart-2")], expected_version=0)
    positions = [e.sequence_number for e in first.events + second.events + other.events]
    assert positions == sorted(positions)
    assert (first.version, second.version, other.version) == (2, 3, 1)
    assert [e.sequence_number for e in await pg_event_store.read_all()] == positions

    transaction = raw_connection.transaction()
    await transaction.start()
    await pg_event_store.append_on(raw_connection, "cart-3", [item("cart-3")])
    await transaction.rollback()
    assert not await pg_event_store.stream_exists("cart-3")
    assert await pg_event_store.append("cart-3", [item("cart-3")], expected_version=0) == 1


async def test_append_on_checks_versions_and_empty_appends(
    pg_event_store: PostgresEventStore, raw_connection: Any
) -> None:
    await pg_event_store.append("cart-1", [item("cart-1")])
    assert (await pg_event_store.append_on(raw_connection, "cart-1", [])).version == 1
    with pytest.raises(ConcurrencyError):
        await pg_event_store.append_on(raw_connection, "cart-1", [], expected_version=0)
    with pytest.raises(ConcurrencyError) as caught:
        await pg_event_store.append_on(raw_connection, "cart-1", [item("cart-1")], expected_version=3)
    assert (caught.value.expected_version, caught.value.actual_version) == (3, 1)


async def test_a_batch_over_the_per_transaction_limit_is_refused_before_writing(
    pg_event_store: PostgresEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(appender_module, "MAX_EVENTS_PER_TRANSACTION", 3)
    with pytest.raises(EventPersistenceError, match="split the batch"):
        await pg_event_store.append("cart-1", [item("cart-1") for _ in range(4)])
    assert not await pg_event_store.stream_exists("cart-1")


async def test_a_transaction_cannot_append_past_its_position_range(
    pg_event_store: PostgresEventStore, raw_connection: Any
) -> None:
    """Positions hold 20 bits per transaction; the 1,048,576th event would spill into the next one."""
    transaction = raw_connection.transaction()
    await transaction.start()
    last_ordinal = await raw_connection.fetchval(
        "SELECT (pg_current_xact_id()::text::bigint << 20) + 1048575"
    )
    await raw_connection.execute(  # as if this transaction had already appended 1,048,575 events
        f"INSERT INTO {pg_event_store.tables.events} (position, stream_id, version, stream_hash, "
        "event_type, payload) VALUES ($1, 'filler', 1, 0, 'Filler', '{}')",
        last_ordinal,
    )
    with pytest.raises(EventPersistenceError, match="commit and continue in a new transaction"):
        await pg_event_store.append_on(raw_connection, "cart-1", [item("cart-1")])
    await transaction.rollback()
    assert not await pg_event_store.stream_exists("cart-1")


async def test_payloads_come_back_exactly_as_written(pg_event_store: PostgresEventStore) -> None:
    lines = {"zebra": 1, "apple": 2, "mango": 3}
    filled = PgBasketFilled(basket_id="b-1", lines=lines, note='nul \x00, emoji \N{PACKAGE}, quote " ')
    await pg_event_store.append("b-1", [filled])
    (stored,) = await pg_event_store.read("b-1")
    assert stored.to_dict() | {"sequence_number": None} == filled.to_dict()
    assert list(stored.lines) == ["zebra", "apple", "mango"]  # key order kept (a json column)
    assert stored.note == filled.note
    assert stored.event_id == filled.event_id


async def test_a_serializer_that_does_not_write_json_is_reported(pg_config: ConfigFactory) -> None:
    class NotJson:
        def serialize(self, event: Any) -> bytes:
            return b"definitely not json"

        def deserialize(self, data: bytes) -> Any:
            raise NotImplementedError

    store = PostgresEventStore(config=pg_config(), event_serializer=NotJson())
    try:
        with pytest.raises(EventPersistenceError, match="could not append to stream 'cart-1'"):
            await store.append("cart-1", [item("cart-1")])
        assert not await store.stream_exists("cart-1")
    finally:
        await store.close()


# --- the extra operations ------------------------------------------------------------------------


async def test_delete_stream_forgets_the_stream(pg_event_store: PostgresEventStore) -> None:
    await pg_event_store.append("cart-1", [item("cart-1"), item("cart-1")])
    await pg_event_store.append("cart-2", [item("cart-2")])
    assert await pg_event_store.get_events_count() == 3
    assert await pg_event_store.get_events_count("cart-1") == 2

    assert await pg_event_store.delete_stream("cart-1") == 2
    assert await pg_event_store.delete_stream("cart-1") == 0
    assert await pg_event_store.get_stream_version("cart-1") == 0
    assert await pg_event_store.get_stream_ids() == ["cart-2"]
    assert await pg_event_store.append("cart-1", [item("cart-1")], expected_version=0) == 1
    assert await pg_event_store.get_events_count() == 2


async def test_find_by_type_pages_through_one_type(pg_event_store: PostgresEventStore) -> None:
    for number in range(5):
        await pg_event_store.append(f"b-{number}", [PgBasketFilled(basket_id=f"b-{number}", lines={})])
        await pg_event_store.append(f"b-{number}", [PgBasketEmptied(basket_id=f"b-{number}")])

    found = await pg_event_store.find_by_type("PgBasketEmptied")
    assert [e.basket_id for e in found] == [f"b-{n}" for n in range(5)]
    assert [e.basket_id for e in await pg_event_store.find_by_type(PgBasketEmptied, 2, 1)] == ["b-1", "b-2"]
    assert [e.basket_id for e in await pg_event_store.find_by_type("PgBasketEmptied", limit=2, offset=3)] == [
        "b-3",
        "b-4",
    ]
    assert await pg_event_store.find_by_type("Nothing") == []
    with pytest.raises(ValueError, match="limit is an alias of count"):
        await pg_event_store.find_by_type("PgBasketEmptied", count=3, limit=4)


async def test_a_registered_type_decides_the_class_read_back(pg_event_store: PostgresEventStore) -> None:
    class PgParcelShipped(Event):
        order_id: str
        tracking: str = ""

    await pg_event_store.append("o-1", [ConformanceOrderShipped(order_id="o-1", tracking="T-1")])
    pg_event_store.register_event_type("ConformanceOrderShipped", PgParcelShipped)
    (stored,) = await pg_event_store.read("o-1")
    assert type(stored) is PgParcelShipped
    assert (stored.tracking, stored.version) == ("T-1", 1)
