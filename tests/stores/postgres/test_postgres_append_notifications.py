"""PostgreSQL stores wake the readers of other processes: NOTIFY after commit, a LISTEN connection.

Two store instances on the same tables stand for two processes: each has its own pool and its own
in-process signal, so only a notification through the server can carry an append from one to the
other.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from lexigram.events import DomainEvent
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.stores.postgres import PostgresEventStore
from lexigram.events.stores.postgres.notifications import AppendNotifier, append_channel

ConfigFactory = Callable[..., PostgresEventStoreConfig]


class CrateWeighed(DomainEvent):
    parcel_id: str
    depot: str = "north"


def weighed(parcel_id: str) -> CrateWeighed:
    return CrateWeighed(parcel_id=parcel_id)


@pytest.fixture
async def stores(pg_config: ConfigFactory) -> AsyncIterator[Callable[..., Any]]:
    """Open stores on one set of tables, as separate processes would; all are closed afterwards."""
    config = pg_config()
    opened: list[PostgresEventStore] = []

    async def open_store(**changes: Any) -> PostgresEventStore:
        store = PostgresEventStore(config=config.model_copy(update=changes))
        await store.connect()
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        await store.close()


async def listening_backends(connection: Any, table: str) -> list[int]:
    rows = await connection.fetch(
        "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND query LIKE '%' || $1 || '%'",
        table,
    )
    return [row["pid"] for row in rows]


async def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.02)


async def test_an_append_through_another_store_wakes_a_waiter_within_a_second(stores: Any) -> None:
    reader, writer = await stores(), await stores()
    assert await reader.appends.start_listening(10.0)
    generation = reader.appends.generation
    waiter = asyncio.create_task(reader.appends.wait(generation, 10.0))
    await asyncio.sleep(0.1)
    assert not waiter.done()

    await writer.append("parcel-1", [weighed("parcel-1")])
    appended = time.monotonic()
    woken = await asyncio.wait_for(waiter, 10.0)

    assert time.monotonic() - appended < 1.0
    assert woken > generation
    (envelope,) = await reader.read_envelopes()  # notified after the commit: already visible
    assert (envelope.stream_id, envelope.version, envelope.event.parcel_id) == ("parcel-1", 1, "parcel-1")


async def test_the_first_wait_starts_listening_by_itself(stores: Any) -> None:
    reader, writer = await stores(), await stores()
    assert not reader.appends.listener.running
    found: list[Any] = []
    generation = reader.appends.generation
    deadline = time.monotonic() + 10.0
    appended = False
    while not found and time.monotonic() < deadline:
        generation = await reader.appends.wait(generation, 10.0)
        found = await reader.read_envelopes()
        if not appended:  # the first wake-up: the listener connected, so nothing can be missed now
            assert reader.appends.listener.listening
            await writer.append("parcel-1", [weighed("parcel-1")])
            appended = True
    assert [envelope.stream_id for envelope in found] == ["parcel-1"]


async def test_a_stores_own_appends_raise_its_signal_once(stores: Any) -> None:
    store = await stores()
    assert await store.appends.start_listening(10.0)
    generation = store.appends.generation
    await store.append("parcel-1", [weighed("parcel-1")])
    await eventually(lambda: store._notifier is not None and store._notifier.sent == 1)
    await asyncio.sleep(0.3)  # the echo of its own notification would have arrived by now
    assert store.appends.generation == generation + 1


async def test_without_notify_appends_other_stores_are_not_woken_but_still_read(stores: Any) -> None:
    reader, writer = await stores(), await stores(notify_appends=False)
    assert await reader.appends.start_listening(10.0)
    generation = reader.appends.generation
    own_generation = writer.appends.generation

    waiter = asyncio.create_task(reader.appends.wait(generation, 1.0))
    await asyncio.sleep(0.05)
    await writer.append("parcel-1", [weighed("parcel-1")])

    assert await waiter == generation  # timed out
    assert writer.appends.generation > own_generation  # the writer's own readers are still woken
    assert [envelope.stream_id for envelope in await reader.read_envelopes()] == ["parcel-1"]


async def test_the_listener_reconnects_after_its_connection_is_terminated(
    stores: Any, raw_connection: Any
) -> None:
    reader, writer = await stores(), await stores()
    assert await reader.appends.start_listening(10.0)
    listener = reader.appends.listener
    (backend,) = await listening_backends(raw_connection, reader.config.events_table)
    generation = reader.appends.generation

    assert await raw_connection.fetchval("SELECT pg_terminate_backend($1)", backend)

    # Reconnected, the listener wakes readers once: they may have missed notifications meanwhile.
    woken = await reader.appends.wait(generation, 10.0)
    assert woken > generation
    await eventually(lambda: listener.connections_opened == 2 and listener.listening)
    (again,) = await listening_backends(raw_connection, reader.config.events_table)
    assert again != backend

    generation = reader.appends.generation
    waiter = asyncio.create_task(reader.appends.wait(generation, 10.0))
    await writer.append("parcel-1", [weighed("parcel-1")])
    appended = time.monotonic()
    assert await asyncio.wait_for(waiter, 10.0) > generation
    assert time.monotonic() - appended < 1.0


async def test_close_sends_the_last_notification_and_stops_listening(
    stores: Any, raw_connection: Any
) -> None:
    reader, writer = await stores(), await stores()
    assert await reader.appends.start_listening(10.0)
    assert await writer.appends.start_listening(10.0)
    table = reader.config.events_table
    assert len(await listening_backends(raw_connection, table)) == 2
    generation = reader.appends.generation
    waiter = asyncio.create_task(reader.appends.wait(generation, 10.0))

    await writer.append("parcel-1", [weighed("parcel-1")])
    await writer.close()  # the notification may still have been due: close sends it

    assert await asyncio.wait_for(waiter, 10.0) > generation
    assert not writer.appends.listener.running
    deadline = time.monotonic() + 10.0
    while len(await listening_backends(raw_connection, table)) != 1:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


async def test_a_closed_store_does_not_start_listening_until_connected_again(stores: Any) -> None:
    store = await stores()
    await store.close()
    assert await store.appends.wait(store.appends.generation, 0.05) == store.appends.generation
    assert not store.appends.listener.running
    assert not await store.appends.start_listening(0.1)
    await store.connect()
    assert await store.appends.start_listening(10.0)


async def test_many_concurrent_appends_are_announced_by_fewer_notifications(stores: Any) -> None:
    reader, writer = await stores(), await stores()
    assert await reader.appends.start_listening(10.0)
    generation = reader.appends.generation

    await asyncio.gather(*(writer.append(f"parcel-{n}", [weighed(f"parcel-{n}")]) for n in range(40)))
    await writer.close()  # sends whatever is still due

    assert writer._notifier is not None
    assert 1 <= writer._notifier.sent <= 40
    await eventually(lambda: reader.appends.generation > generation)
    assert len(await reader.read_envelopes()) == 40


async def test_a_failing_notification_is_logged_and_never_fails_the_append(
    stores: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = await stores()
    assert store._notifier is not None

    @asynccontextmanager
    async def broken_connection() -> AsyncIterator[Any]:
        raise OSError("the network is down")
        yield

    store._notifier._connection = broken_connection
    with caplog.at_level(logging.WARNING, logger="lexigram.events.stores.postgres"):
        assert await store.append("parcel-1", [weighed("parcel-1")]) == 1
        await eventually(lambda: "could not notify" in caplog.text)
    assert "the network is down" in caplog.text
    assert [e.stream_id for e in await store.read_envelopes()] == ["parcel-1"]


async def test_a_store_on_a_borrowed_pool_listens_on_one_of_its_connections(
    pg_config: ConfigFactory, postgres_dsn: str
) -> None:
    config = pg_config()
    pool = await asyncpg.create_pool(postgres_dsn, min_size=1, max_size=3)
    reader = PostgresEventStore(config=config, provider=pool)
    writer = PostgresEventStore(config=config)
    try:
        await reader.connect()
        assert await reader.appends.start_listening(10.0)
        generation = reader.appends.generation
        waiter = asyncio.create_task(reader.appends.wait(generation, 10.0))
        await writer.append("parcel-1", [weighed("parcel-1")])
        assert await asyncio.wait_for(waiter, 10.0) > generation
        await reader.close()
        assert pool.get_idle_size() == pool.get_size()  # the listening connection was given back
    finally:
        await reader.close()
        await writer.close()
        await pool.close()


def test_channel_names_fit_postgresql_and_stay_distinct() -> None:
    assert append_channel("public", "events") == "lexigram:public.events"
    long_schema = "s" * 60
    first, second = append_channel(long_schema, "orders_a"), append_channel(long_schema, "orders_b")
    assert len(first.encode()) <= 63
    assert len(second.encode()) <= 63
    assert first != second
    multibyte = append_channel("schéma" * 10, "events")
    assert len(multibyte.encode()) <= 63
    assert multibyte.startswith("lexigram:schéma")


# --- the sender on its own, on a stand-in connection ---------------------------------------------


class RecordingConnection:
    """Records the statements sent; ``gate`` holds a statement in flight while it is cleared."""

    def __init__(self) -> None:
        self.statements: list[tuple[float, str]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def fetchval(self, sql: str, *args: Any) -> str:
        return "public"

    async def execute(self, sql: str) -> str:
        self.statements.append((time.monotonic(), sql))
        await self.gate.wait()
        return "NOTIFY"


def notifier_on(connection: RecordingConnection, min_interval: float = 0.0) -> AppendNotifier:
    @asynccontextmanager
    async def lend() -> AsyncIterator[RecordingConnection]:
        yield connection

    return AppendNotifier(lend, "events", '"events"', "token1", min_interval=min_interval)


async def test_appends_during_a_notification_in_flight_produce_exactly_one_more() -> None:
    connection = RecordingConnection()
    notifier = notifier_on(connection)
    connection.gate.clear()
    notifier.request()
    await eventually(lambda: len(connection.statements) == 1)
    for _ in range(10):
        notifier.request()
    connection.gate.set()
    await eventually(lambda: notifier.sent == 2)
    await asyncio.sleep(0.05)
    assert notifier.sent == 2
    assert {sql for _, sql in connection.statements} == {"NOTIFY \"lexigram:public.events\", 'token1'"}
    assert notifier.channel == "lexigram:public.events"
    await notifier.close()


async def test_notifications_start_at_least_min_interval_apart() -> None:
    connection = RecordingConnection()
    notifier = notifier_on(connection, min_interval=0.1)
    notifier.request()
    await eventually(lambda: notifier.sent == 1)
    notifier.request()
    await eventually(lambda: notifier.sent == 2)
    (first, _), (second, _) = connection.statements
    assert second - first >= 0.09
    await asyncio.sleep(0.15)
    notifier.request()  # after a quiet spell: at once
    requested = time.monotonic()
    await eventually(lambda: notifier.sent == 3)
    assert connection.statements[-1][0] - requested < 0.05
    await notifier.close()


async def test_close_sends_what_is_due_and_later_requests_wait_for_reopen() -> None:
    connection = RecordingConnection()
    notifier = notifier_on(connection, min_interval=0.05)
    notifier.request()
    await eventually(lambda: notifier.sent == 1)
    notifier.request()
    await notifier.close()
    assert notifier.sent == 2
    notifier.request()
    await asyncio.sleep(0.05)
    assert notifier.sent == 2
    notifier.reopen()
    notifier.request()
    await eventually(lambda: notifier.sent == 3)
    await notifier.close()
