"""What the consumer group tests share with their worker process: events, read models, stores.

The read model ``ledger`` records one row per event applied: its global position (the primary
key, so an event applied twice fails), its stream and number in the stream, the worker that
applied it, and ``seq``, a sequence drawn at insert: within a partition, rows committed later
have a greater ``seq``, so ``seq`` order is commit order per stream. ``plain`` is the same without
the primary key, written outside the checkpoint's transaction (duplicates allowed).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from lexigram.contracts.domain import DomainEvent
from lexigram.events.config import PostgresEventStoreConfig, ProjectionsConfig
from lexigram.events.projections import ProjectionManager
from lexigram.events.stores.partitioning import partition_of
from lexigram.events.stores.postgres import PostgresEventStore, PostgresPool
from lexigram.events.stores.postgres.checkpoint_store import PostgresCheckpointStore
from lexigram.events.stores.postgres.lease_store import PostgresPartitionLeaseStore


class Tick(DomainEvent):
    """The n-th event of ``stream`` (n counts from 1 in each stream)."""

    stream: str
    n: int


def config_for(dsn: str, prefix: str, **settings: Any) -> PostgresEventStoreConfig:
    """Stores whose tables all start with ``prefix``."""
    settings.setdefault("pool_max_size", 6)
    return PostgresEventStoreConfig(
        dsn=dsn,
        events_table=f"{prefix}_events",
        snapshots_table=f"{prefix}_snapshots",
        checkpoints_table=f"{prefix}_checkpoints",
        parked_table=f"{prefix}_parked",
        leases_table=f"{prefix}_leases",
        **settings,
    )


class Ledger:
    """Transactional: every batch's rows commit with the partition's checkpoint."""

    name = "ledger"

    def __init__(self, prefix: str, worker: str, delay: float = 0.0) -> None:
        self.table = f"{prefix}_ledger"
        self.worker = worker
        self.delay = delay

    async def apply_batch(self, events: list[Any], session: Any) -> None:
        if self.delay:
            await asyncio.sleep(self.delay * len(events))
        await session.executemany(
            f"INSERT INTO {self.table} (position, stream_id, n, worker) VALUES ($1, $2, $3, $4)",
            [(event.sequence_number, event.stream, event.n, self.worker) for event in events],
        )


class Plain:
    """At-least-once: rows written on a connection of their own, the checkpoint saved now and then."""

    name = "plain"

    def __init__(self, prefix: str, worker: str, pool: Any, delay: float = 0.0) -> None:
        self.table = f"{prefix}_plain"
        self.worker = worker
        self.pool = pool
        self.delay = delay

    async def apply_batch(self, events: list[Any]) -> None:
        if self.delay:
            await asyncio.sleep(self.delay * len(events))
        async with self.pool.acquire() as connection:
            await connection.executemany(
                f"INSERT INTO {self.table} (position, stream_id, n, worker) VALUES ($1, $2, $3, $4)",
                [(event.sequence_number, event.stream, event.n, self.worker) for event in events],
            )


async def create_read_models(connection: Any, prefix: str) -> None:
    """The ``ledger`` and ``plain`` tables."""
    await connection.execute(
        f"CREATE TABLE {prefix}_ledger (seq bigserial, position bigint PRIMARY KEY, "
        "stream_id text NOT NULL, n integer NOT NULL, worker text NOT NULL)"
    )
    await connection.execute(
        f"CREATE TABLE {prefix}_plain (seq bigserial, position bigint NOT NULL, "
        "stream_id text NOT NULL, n integer NOT NULL, worker text NOT NULL)"
    )


@dataclass
class Worker:
    """One worker: its own pool and stores, and a manager running the partitioned ledger."""

    worker_id: str
    manager: ProjectionManager
    events: PostgresEventStore
    checkpoints: PostgresCheckpointStore
    leases: PostgresPartitionLeaseStore
    pool: PostgresPool

    @classmethod
    def build(
        cls,
        config: PostgresEventStoreConfig,
        worker_id: str,
        *,
        ttl: float = 1.0,
        batch_size: int = 20,
        checkpoint_interval: int = 20,
    ) -> Worker:
        """A worker on its own pool; register projections on ``worker.manager``."""
        pool = PostgresPool(config)
        events = PostgresEventStore(config, provider=pool)
        checkpoints = PostgresCheckpointStore(config, provider=pool)
        leases = PostgresPartitionLeaseStore(config, provider=pool)
        manager = ProjectionManager(
            events,
            checkpoints,
            config=ProjectionsConfig(
                batch_size=batch_size, poll_interval=0.05, checkpoint_interval=checkpoint_interval
            ),
            worker_id=worker_id,
            lease_store=leases,
            lease_ttl=ttl,
        )
        return cls(worker_id, manager, events, checkpoints, leases, pool)

    async def close(self) -> None:
        """Stop the projections (releasing the leases) and close the stores."""
        await self.manager.close()
        await self.events.close()


async def ledger_rows(connection: Any, prefix: str, table: str = "ledger") -> list[tuple[Any, ...]]:
    """``(seq, position, stream_id, n, worker)`` rows in ``seq`` order."""
    rows = await connection.fetch(
        f"SELECT seq, position, stream_id, n, worker FROM {prefix}_{table} ORDER BY seq"
    )
    return [tuple(row) for row in rows]


def check_stream_order(rows: list[tuple[Any, ...]]) -> None:
    """Each stream's numbers strictly increase in commit (``seq``) order."""
    last: dict[str, int] = {}
    for _seq, position, stream, n, _worker in rows:
        assert n > last.get(stream, 0), f"stream {stream} went from {last.get(stream)} to {n} at {position}"
        last[stream] = n


def partition_of_stream(stream: str, total: int) -> int:
    """The partition of a stream (as the stores compute it)."""
    return partition_of(stream, total)
