"""Protocols that subscriptions and projections read and record through.

* ``EventLogProtocol``: a store whose global log can be followed: envelopes (event, stream,
  version, position) in global order, and an ``AppendSignalProtocol`` that wakes readers when
  something was appended (in this process, or on PostgreSQL in any process).
* ``CheckpointStoreProtocol``: durable checkpoints and parked events of projections, with a
  transaction in which a read model written in the same database commits together with the
  checkpoint (``ReadModelSessionProtocol``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from lexigram.contracts.events.records import Checkpoint, EventEnvelope, ParkedEvent

__all__ = [
    "AppendSignalProtocol",
    "CheckpointStoreProtocol",
    "CheckpointTransactionProtocol",
    "EventLogProtocol",
    "ReadModelSessionProtocol",
]


class AppendSignalProtocol(Protocol):
    """Wakes readers of the global log when events were appended.

    The signal counts appends in ``generation``. A reader notes the generation before it reads;
    when the read came back short it waits for a greater one, so an append that lands between the
    read and the wait is never missed. A wake-up is a hint to read again, never a promise that
    new events are visible: readers must re-read and may wake for nothing.
    """

    @property
    def generation(self) -> int:
        """A counter that grows with every append seen (never decreases)."""
        ...

    async def wait(self, after_generation: int, max_wait: float | None = None) -> int:
        """Wait until ``generation`` exceeds ``after_generation`` or ``max_wait`` seconds pass.

        Returns the generation at that moment (equal to ``after_generation`` on a timeout).
        """
        ...


class EventLogProtocol(Protocol):
    """A store whose global log can be followed by subscriptions."""

    @property
    def appends(self) -> AppendSignalProtocol:
        """The signal raised after every successful append."""
        ...

    async def read_envelopes(
        self,
        after_position: int = 0,
        limit: int = 100,
        *,
        partition: int | None = None,
        total_partitions: int | None = None,
    ) -> list[EventEnvelope]:
        """Up to ``limit`` envelopes after ``after_position`` in global order (optionally one partition).

        Same events, order and partitioning as ``stream_all``; each envelope carries the stream
        id, the stream version and the global position.
        """
        ...


class ReadModelSessionProtocol(Protocol):
    """SQL run inside a checkpoint transaction, so a read model commits with its checkpoint.

    Placeholders are the database's own: ``?`` on SQLite, ``$1`` on PostgreSQL.
    """

    async def execute(self, sql: str, *parameters: Any) -> None:
        """Run one statement."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters (batched by the driver)."""
        ...

    async def fetch(self, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""
        ...


class CheckpointTransactionProtocol(Protocol):
    """One unit of work of a projection: its read-model writes, checkpoint and parked events."""

    @property
    def session(self) -> ReadModelSessionProtocol | None:
        """SQL access to the checkpoint's database inside this transaction (None in memory)."""
        ...

    async def save(self, checkpoint: Checkpoint) -> None:
        """Record the checkpoint when the transaction commits."""
        ...

    async def park(self, parked: ParkedEvent) -> None:
        """Record a parked event when the transaction commits."""
        ...


class CheckpointStoreProtocol(Protocol):
    """Durable checkpoints and parked events of projections."""

    async def connect(self) -> None:
        """Open connections and create the tables (idempotent)."""
        ...

    async def close(self) -> None:
        """Release connections (idempotent)."""
        ...

    async def load(self, name: str) -> Checkpoint | None:
        """The checkpoint saved under ``name``, or None."""
        ...

    async def save(self, checkpoint: Checkpoint) -> None:
        """Save the checkpoint under its ``projection_name`` (insert or replace)."""
        ...

    async def delete(self, name: str) -> bool:
        """Delete the checkpoint and the parked events of ``name``; True when a checkpoint existed."""
        ...

    async def list_checkpoints(self) -> list[Checkpoint]:
        """Every saved checkpoint, by name."""
        ...

    async def park(self, parked: ParkedEvent) -> None:
        """Record a parked event (replacing one at the same projection and position)."""
        ...

    async def list_parked(self, name: str | None = None) -> list[ParkedEvent]:
        """Parked events of one projection (or of all), by projection and position."""
        ...

    async def remove_parked(self, name: str, position: int) -> bool:
        """Forget one parked event; True when it existed."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[CheckpointTransactionProtocol]:
        """A transaction: everything done through it commits together, or nothing does."""
        ...
