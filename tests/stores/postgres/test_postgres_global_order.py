"""The global log of the PostgreSQL store never lets a catch-up reader skip an event.

Sequence values that commit out of order are how PostgreSQL-backed stores classically lose events:
a reader passes position 10 while the transaction holding position 9 has not committed yet. These
tests stall a writer on purpose, between its insert and its commit, while other writers commit
after it, and check that a reader looping ``stream_all`` from its checkpoint still sees every
committed event exactly once, in increasing position, and none that rolled back.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import ConcurrencyError
from lexigram.events.stores.partitioning import partition_of
from lexigram.events.stores.postgres import PostgresEventStore
from lexigram.events.testing.contract_events import ConformanceItemAdded

WRITERS = 8
STALLS = 5
COMMITS_DURING_A_STALL = 60

ConfigFactory = Callable[..., PostgresEventStoreConfig]
"""Builds a config whose tables no other test uses (the ``pg_config`` fixture)."""


def item(stream_id: str, sku: str) -> ConformanceItemAdded:
    return ConformanceItemAdded(order_id=stream_id, sku=sku)


@pytest.fixture
async def store(pg_config: ConfigFactory) -> AsyncIterator[PostgresEventStore]:
    store = PostgresEventStore(config=pg_config(pool_max_size=WRITERS + 4))
    await store.connect()
    yield store
    await store.close()


@dataclass
class Ledger:
    """What the writers know happened: committed events with their positions, and rolled-back ones."""

    committed: dict[UUID, int] = field(default_factory=dict)
    rolled_back: set[UUID] = field(default_factory=set)
    commits: asyncio.Event = field(default_factory=asyncio.Event)

    def commit(self, stored: list[Any]) -> None:
        for event in stored:
            self.committed[event.event_id] = event.sequence_number
        self.commits.set()

    async def wait_for_commits(self, count: int) -> None:
        target = len(self.committed) + count
        while len(self.committed) < target:
            self.commits.clear()
            await self.commits.wait()


@dataclass
class Reader:
    """A catch-up subscriber: loops ``stream_all`` from its checkpoint, as a projection would."""

    store: PostgresEventStore
    seen: list[Any] = field(default_factory=list)
    checkpoint: int = 0
    polling: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def poll(self) -> None:
        async with self.polling:  # one subscriber: polls never overlap
            async for event in self.store.stream_all(from_position=self.checkpoint, batch_size=37):
                assert event.sequence_number > self.checkpoint, "positions must strictly increase"
                self.checkpoint = event.sequence_number
                self.seen.append(event)

    async def follow(self, writers_done: asyncio.Event) -> None:
        while not writers_done.is_set():
            await self.poll()
            await asyncio.sleep(0.002)
        await self.poll()  # every transaction has ended: the rest of the log is visible


async def test_a_catch_up_reader_never_skips_while_a_writer_stalls_before_committing(
    store: PostgresEventStore, postgres_dsn: str
) -> None:
    ledger, reader = Ledger(), Reader(store)
    stop, writers_done = asyncio.Event(), asyncio.Event()
    held_back: list[tuple[int, int]] = []  # (reader checkpoint just before the commit, stalled position)

    async def writer(number: int) -> None:
        rng = random.Random(number)
        for round_number in itertools.count():
            if stop.is_set():
                return
            stream = f"w{number}-{rng.randrange(4)}"
            events = [item(stream, f"{number}.{round_number}.{k}") for k in range(rng.randint(1, 3))]
            if round_number % 7 == 3:  # a business transaction that fails after appending
                async with store.pool.connection() as connection:
                    transaction = connection.transaction()
                    await transaction.start()
                    await store.append_on(connection, stream, events)
                    await transaction.rollback()
                ledger.rolled_back.update(e.event_id for e in events)
            elif round_number % 7 in (1, 4):  # read the version, then append expecting it
                version = await store.get_stream_version(stream)
                ledger.commit((await store.append_returning(stream, events, expected_version=version)).events)
            elif round_number % 7 == 5:  # a stale version check writes nothing
                with pytest.raises(ConcurrencyError):
                    await store.append(stream, events, expected_version=10_000)
                ledger.rolled_back.update(e.event_id for e in events)
            else:
                ledger.commit((await store.append_returning(stream, events)).events)

    async def stalling_writer() -> None:
        connection = await asyncpg.connect(postgres_dsn)
        try:
            for stall in range(STALLS):
                events = [item(f"stalled-{stall}", f"S{stall}.{k}") for k in range(3)]
                transaction = connection.transaction()
                await transaction.start()
                appended = await store.append_on(connection, f"stalled-{stall}", events)  # the real SQL
                await ledger.wait_for_commits(COMMITS_DURING_A_STALL)  # others commit after it
                await reader.poll()
                held_back.append((reader.checkpoint, appended.events[0].sequence_number))
                if stall == STALLS - 1:
                    await transaction.rollback()
                    ledger.rolled_back.update(e.event_id for e in events)
                else:
                    await transaction.commit()
                    ledger.commit(appended.events)
        finally:
            await connection.close()
            stop.set()

    async def writers() -> None:
        try:
            await asyncio.gather(stalling_writer(), *(writer(n) for n in range(WRITERS)))
        finally:
            writers_done.set()

    await asyncio.wait_for(asyncio.gather(writers(), reader.follow(writers_done)), timeout=60)

    # While each stall was open, later transactions had committed, but the reader had not passed it.
    for checkpoint, stalled_position in held_back:
        assert checkpoint < stalled_position
    assert any(position > held_back[0][1] for position in ledger.committed.values())

    seen_ids = [event.event_id for event in reader.seen]
    assert len(seen_ids) == len(set(seen_ids)), "an event was delivered twice"
    assert set(seen_ids) == set(ledger.committed), "the reader missed committed events"
    assert not set(seen_ids) & ledger.rolled_back, "the reader saw events that never committed"
    assert all(event.sequence_number == ledger.committed[event.event_id] for event in reader.seen)
    assert [e.event_id for e in await store.read_all()] == seen_ids


async def test_a_stalled_writer_holds_readers_back_until_it_ends(
    store: PostgresEventStore, raw_connection: Any
) -> None:
    for outcome in ("commit", "rollback"):
        transaction = raw_connection.transaction()
        await transaction.start()
        stalled = await store.append_on(raw_connection, f"slow-{outcome}", [item("slow", outcome)])
        later = await store.append_returning(f"fast-{outcome}", [item("fast", outcome)])
        before = {e.event_id for e in await store.read_all()}

        assert later.events[0].sequence_number > stalled.events[0].sequence_number
        assert later.events[0].event_id not in before  # committed, but behind an open transaction
        assert [e.event_id for e in await store.read(f"fast-{outcome}")] == [later.events[0].event_id]

        await (transaction.commit() if outcome == "commit" else transaction.rollback())
        after = [e.event_id for e in await store.read_all() if e.event_id not in before]
        expected = [later.events[0].event_id]
        if outcome == "commit":
            expected.insert(0, stalled.events[0].event_id)
        assert after == expected


@pytest.mark.parametrize("checked", [False, True], ids=["any-version", "expected-version"])
async def test_each_streams_events_are_in_version_order_in_the_global_log(
    store: PostgresEventStore, checked: bool
) -> None:
    async def appender(number: int) -> None:
        for round_number in range(15):
            stream = f"hot-{(number + round_number) % 3}"
            events = [item(stream, f"{number}.{round_number}.{k}") for k in range(2)]
            while checked:  # racing writers: read the version, append, retry on a conflict
                try:
                    await store.append(
                        stream, events, expected_version=await store.get_stream_version(stream)
                    )
                    break
                except ConcurrencyError:
                    continue
            else:
                await store.append(stream, events)

    await asyncio.gather(*(appender(n) for n in range(WRITERS)))

    versions: dict[str, list[int]] = defaultdict(list)
    positions = []
    async for event in store.stream_all():
        stored = [e.event_id for e in await store.read(event.order_id)]
        versions[event.order_id].append(stored.index(event.event_id) + 1)
        positions.append(event.sequence_number)
    assert positions == sorted(positions)
    assert sum(len(v) for v in versions.values()) == WRITERS * 15 * 2
    for stream_versions in versions.values():
        assert stream_versions == list(range(1, len(stream_versions) + 1))


async def test_partitions_are_stable_across_restarts(pg_config: ConfigFactory) -> None:
    config = pg_config()
    first = PostgresEventStore(config=config)
    for number in range(30):
        await first.append(f"order-{number}", [item(f"order-{number}", "A"), item(f"order-{number}", "B")])
    before = [[e.event_id async for e in first.stream_all(partition=p, total_partitions=3)] for p in range(3)]
    await first.close()

    second = PostgresEventStore(config=config)  # a new process, in effect
    try:
        after = [
            [e async for e in second.stream_all(partition=p, total_partitions=3, batch_size=4)]
            for p in range(3)
        ]
        assert [[e.event_id for e in chunk] for chunk in after] == before
        for index, chunk in enumerate(after):
            assert {partition_of(e.order_id, 3) for e in chunk} == {index}
        assert sum(len(chunk) for chunk in after) == 60
    finally:
        await second.close()


async def test_an_appender_waiting_for_its_stream_has_no_transaction_id_yet(
    store: PostgresEventStore, raw_connection: Any, postgres_dsn: str
) -> None:
    """Per-stream order: an id obtained before waiting could sort before the event it waits for."""
    await store.append("busy", [item("busy", "first")])
    transaction = raw_connection.transaction()
    await transaction.start()
    await raw_connection.execute(store._sql.lock_stream, "busy")  # as an append in progress would
    waiting = asyncio.create_task(store.append("busy", [item("busy", "second")]))
    observer = await asyncpg.connect(postgres_dsn)
    try:
        while True:
            row = await observer.fetchrow(
                "SELECT backend_xid FROM pg_stat_activity WHERE wait_event = 'advisory' AND pid <> $1",
                await raw_connection.fetchval("SELECT pg_backend_pid()"),
            )
            if row is not None:
                break
            await asyncio.sleep(0.01)
        assert row["backend_xid"] is None
        ours = await raw_connection.fetchval("SELECT pg_current_xact_id()::text::bigint")
        await transaction.commit()
        assert await waiting == 2
    finally:
        await observer.close()
    (second,) = await store.read("busy", 2)
    assert second.sequence_number >> 20 > ours


async def test_a_refused_append_takes_no_transaction_id(
    store: PostgresEventStore, raw_connection: Any
) -> None:
    """Losers of a version race hold nothing and flush nothing: they fail like a plain UPDATE."""
    await store.append("taken", [item("taken", "A")])
    for expected in (0, 5):
        async with raw_connection.transaction():
            with pytest.raises(ConcurrencyError):
                await store.append_on(
                    raw_connection, "taken", [item("taken", "B")], expected_version=expected
                )
            assert await raw_connection.fetchval("SELECT pg_current_xact_id_if_assigned()") is None
