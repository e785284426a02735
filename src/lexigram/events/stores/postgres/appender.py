"""``Appender``: one append of the PostgreSQL event store, on any connection, in one round trip.

See ``statements`` for the SQL and why it never lets a reader skip an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lexigram.contracts.messages import DomainEvent
from lexigram.events.exceptions import ConcurrencyError, EventPersistenceError
from lexigram.events.stores.base import Appended
from lexigram.events.stores.partitioning import stream_hash
from lexigram.events.stores.postgres.driver import ConnectionLike, as_text_list
from lexigram.events.stores.postgres.statements import MAX_EVENTS_PER_TRANSACTION, EventStatements
from lexigram.events.stores.serialization import EventCodec
from lexigram.events.stores.stamping import stored_copy

__all__ = ["Appender", "EncodedBatch"]

_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """The events of one append, serialised and ready to send."""

    stream_id: str
    events: list[DomainEvent]
    event_types: list[str]
    payloads: list[str]
    stream_hash: int
    aggregate_type: str | None

    @property
    def size(self) -> int:
        """How many events the batch holds."""
        return len(self.events)


class Appender:
    """Checks the stream version and writes a batch of events in a single statement."""

    def __init__(
        self, statements: EventStatements, codec: EventCodec, driver: Any, ordinal_check: str
    ) -> None:
        self._sql = statements
        self._codec = codec
        self._driver = driver
        self._ordinal_check = ordinal_check

    def encode(self, stream_id: str, events: list[DomainEvent]) -> EncodedBatch:
        """Serialise the events (before any I/O, so a serialisation error writes nothing)."""
        if len(events) > MAX_EVENTS_PER_TRANSACTION:
            raise EventPersistenceError(
                f"cannot append {len(events):,} events to stream '{stream_id}' at once: one transaction "
                f"holds at most {MAX_EVENTS_PER_TRANSACTION:,} events in the PostgreSQL store; split the "
                "batch into several appends",
                details={"stream_id": stream_id, "events": len(events)},
            )
        encode = self._codec.encode
        aggregate_type = next((e.aggregate_type for e in events if e.aggregate_type is not None), None)
        return EncodedBatch(
            stream_id=stream_id,
            events=events,
            event_types=[event.event_type for event in events],
            payloads=as_text_list([encode(event) for event in events]),
            stream_hash=stream_hash(stream_id),
            aggregate_type=None if aggregate_type is None else str(aggregate_type),
        )

    async def write(
        self, connection: ConnectionLike, batch: EncodedBatch, expected_version: int | None
    ) -> Appended:
        """Append the batch on ``connection``; ``ConcurrencyError`` when the version check fails.

        On a connection outside a transaction the statement is its own transaction. Inside a
        caller's transaction the events commit (or roll back) with it.
        """
        for _ in range(_ATTEMPTS):
            row = await self._send(connection, batch, expected_version)
            if row[0] is not None:
                version, previous_position = row[0], row[1]
                first_version = version - batch.size
                stored = [
                    stored_copy(event, previous_position + number, first_version + number)
                    for number, event in enumerate(batch.events, 1)
                ]
                return Appended(version, stored)
            seen = row[2] or 0
            if expected_version is not None and seen != expected_version:
                raise ConcurrencyError(batch.stream_id, expected_version, seen)
            await self._explain_refusal(connection, batch, expected_version)
        raise EventPersistenceError(
            f"could not append to stream '{batch.stream_id}': it kept changing between attempts "
            "(deleted or appended to concurrently); retry the append",
            details={"stream_id": batch.stream_id},
        )

    async def _send(self, connection: ConnectionLike, batch: EncodedBatch, expected: int | None) -> Any:
        arguments = (
            batch.stream_id,
            batch.size,
            batch.stream_hash,
            batch.aggregate_type,
            batch.event_types,
            batch.payloads,
        )
        try:
            if expected is None:
                return await connection.fetchrow(self._sql.append_any, *arguments)
            if expected == 0:
                return await connection.fetchrow(self._sql.append_new, *arguments)
            return await connection.fetchrow(self._sql.append_exact, *arguments, expected)
        except self._driver.CheckViolationError as exc:
            if getattr(exc, "constraint_name", None) != self._ordinal_check:
                raise
            raise EventPersistenceError(
                f"cannot append {batch.size:,} more events to stream '{batch.stream_id}' in this "
                f"transaction: one transaction holds at most {MAX_EVENTS_PER_TRANSACTION:,} events in "
                "the PostgreSQL store; commit and continue in a new transaction",
                details={"stream_id": batch.stream_id},
            ) from exc

    async def _explain_refusal(
        self, connection: ConnectionLike, batch: EncodedBatch, expected: int | None
    ) -> None:
        """Raise why the append wrote nothing, or return when trying again can succeed."""
        version, last_position, base, head = await connection.fetchrow(
            self._sql.append_diagnosis, batch.stream_id
        )
        actual = version or 0
        if expected is not None and actual != expected:
            raise ConcurrencyError(batch.stream_id, expected, actual)
        if base is None:
            return  # our own single-statement transaction: the stream changed in between, try again
        if last_position is not None and head is not None and last_position > head:
            raise EventPersistenceError(
                f"cannot append to stream '{batch.stream_id}' in this transaction: the stream already "
                "has an event from a transaction that started writing later. This transaction wrote to "
                "the database before appending, so its events would sort before that event in the "
                "global log; roll back and retry, and append before other writes in a transaction",
                details={"stream_id": batch.stream_id},
            )
