"""Outbox relays on a real PostgreSQL server: several at once, across processes, and killed.

- Two relays (each with its own pool, as two processes have) publish every event exactly once and
  in stream order: their claims never overlap.
- A relay in one process is woken by an append in another (LISTEN/NOTIFY), long before its poll.
- Relay processes are killed with SIGKILL mid-batch, again and again, while events keep being
  appended: every stored event is still published at least once, and a consumer using an inbox
  keyed by event id applies each exactly once, in stream order.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from lexigram.events import EventBusImpl
from lexigram.events.config import OutboxConfig, PostgresEventStoreConfig
from lexigram.events.outbox import EventBusPublisher, OutboxMessage, OutboxRelay
from lexigram.events.stores.postgres import PostgresEventStore

from .relay_events import CrateLoaded

WORKER = Path(__file__).with_name("relay_worker.py")


@pytest.fixture
async def table(postgres_dsn: str) -> AsyncIterator[str]:
    name = f"o{uuid.uuid4().hex[:10]}"
    yield name
    connection = await asyncpg.connect(postgres_dsn)
    try:
        suffixes = ("", "_streams", "_outbox", "_schema_migrations", "_deliveries", "_effects")
        for suffix in (*suffixes, "_inbox", "_inbox_schema_migrations"):
            await connection.execute(f'DROP TABLE IF EXISTS "{name}{suffix}"')
    finally:
        await connection.close()


def open_store(dsn: str, table: str) -> PostgresEventStore:
    return PostgresEventStore(
        PostgresEventStoreConfig(dsn=dsn, events_table=table, pool_max_size=4), outbox=True
    )


async def load(store: PostgresEventStore, crates: int, per_crate: int, first: int = 1) -> None:
    for crate in range(crates):
        events = [CrateLoaded(crate=f"crate-{crate}", number=n) for n in range(first, first + per_crate)]
        await store.append(f"crate-{crate}", events)


class RecordingPublisher:
    """Records what it publishes, and fails the test if two relays publish one row at once."""

    def __init__(self, published: dict[str, list[int]], in_flight: set[int]) -> None:
        self.published = published
        self.in_flight = in_flight

    async def publish(self, message: OutboxMessage) -> None:
        assert message.position not in self.in_flight, "two relays published one row at once"
        self.in_flight.add(message.position)
        await asyncio.sleep(0.001)
        self.published[message.stream_id].append(message.event.number)
        self.in_flight.discard(message.position)

    async def flush(self) -> None:
        return None


async def test_two_relays_publish_every_event_once_in_stream_order(postgres_dsn: str, table: str) -> None:
    writer = open_store(postgres_dsn, table)
    await load(writer, crates=20, per_crate=15)
    published: dict[str, list[int]] = defaultdict(list)
    in_flight: set[int] = set()
    stores = [open_store(postgres_dsn, table), open_store(postgres_dsn, table)]
    config = OutboxConfig(batch_size=7)
    relays = [
        OutboxRelay(s.outbox, RecordingPublisher(published, in_flight), config=config, poll_interval=0.05)
        for s in stores
    ]
    for relay in relays:
        await relay.start()
    await load(writer, crates=20, per_crate=5, first=16)  # more arrive while they run
    for _ in range(500):
        if sum(len(numbers) for numbers in published.values()) >= 400:
            break
        await asyncio.sleep(0.02)
    for relay in relays:
        await relay.stop()
    assert dict(published) == {f"crate-{c}": list(range(1, 21)) for c in range(20)}
    assert all(relay.health()["published"] > 0 for relay in relays)  # both took part
    assert await writer.outbox.pending_count() == 0
    for store in [writer, *stores]:
        await store.close()


async def test_a_relay_is_woken_by_an_append_in_another_process(postgres_dsn: str, table: str) -> None:
    writer, reader = open_store(postgres_dsn, table), open_store(postgres_dsn, table)
    await reader.connect()
    bus = EventBusImpl()
    seen: list[int] = []
    bus.subscribe(CrateLoaded, lambda event: seen.append(event.number))
    relay = OutboxRelay(reader.outbox, EventBusPublisher(bus), poll_interval=30.0, appends=reader.appends)
    await relay.start()
    await reader.appends.start_listening()
    await asyncio.sleep(0.1)
    await load(writer, crates=1, per_crate=1)  # another store: its NOTIFY wakes the relay
    for _ in range(300):
        if seen:
            break
        await asyncio.sleep(0.01)
    await relay.stop()
    await bus.close()
    assert seen == [1]
    await writer.close()
    await reader.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
async def test_killed_relays_lose_nothing_and_the_inbox_applies_each_event_once(
    postgres_dsn: str, table: str
) -> None:
    writer = open_store(postgres_dsn, table)
    await writer.connect()
    connection = await asyncpg.connect(postgres_dsn)
    await connection.execute(
        f'CREATE TABLE "{table}_deliveries" (id bigserial PRIMARY KEY, event_id text NOT NULL);'
        f'CREATE TABLE "{table}_effects" (id bigserial PRIMARY KEY, event_id text NOT NULL,'
        " stream_id text NOT NULL, version int NOT NULL)"
    )
    rng = random.Random(11)
    crates, per_round, trials = 12, 15, 12
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WORKER.parent), *sys.path])}
    for trial in range(trials):
        await load(writer, crates=crates, per_crate=per_round, first=trial * per_round + 1)
        worker = subprocess.Popen(
            [sys.executable, str(WORKER), postgres_dsn, table],
            stdout=subprocess.PIPE,
            env=environment,
        )
        assert worker.stdout is not None
        line = await asyncio.to_thread(worker.stdout.readline)
        assert line.strip() == b"started", line
        await asyncio.sleep(rng.uniform(0.05, 0.3))  # mid-batch: publishing and consuming
        worker.send_signal(signal.SIGKILL)
        await asyncio.to_thread(worker.wait)
    drain = subprocess.run(
        [sys.executable, str(WORKER), postgres_dsn, table, "drain"], env=environment, timeout=120, check=False
    )
    assert drain.returncode == 0
    stored = {str(event.event_id): event for event in await writer.read_all()}
    delivered = [row[0] for row in await connection.fetch(f'SELECT event_id FROM "{table}_deliveries"')]
    effects = await connection.fetch(
        f'SELECT event_id, stream_id, version FROM "{table}_effects" ORDER BY id'
    )
    await connection.close()
    await writer.close()
    assert len(stored) == crates * per_round * trials
    assert set(delivered) == set(stored), "an event stored was never published"
    assert sorted(row["event_id"] for row in effects) == sorted(stored), "the inbox applied an event twice"
    by_stream: dict[str, list[int]] = defaultdict(list)
    for row in effects:
        by_stream[row["stream_id"]].append(row["version"])
    assert all(versions == sorted(versions) for versions in by_stream.values()), "stream order broken"
    print(f"\n{trials} kills: {len(stored)} events, {len(delivered) - len(stored)} redeliveries")
