"""Idempotency keys: "this work was already done, and here is what it returned".

An ``IdempotencyStoreProtocol`` keeps one ``IdempotencyRecord`` per key. The command bus claims a
key before it runs an idempotent command's handler and records the handler's result under it; an
inbox claims ``(consumer, event id)`` before a consumer handles an event. Every store (in memory,
SQLite, PostgreSQL) makes ``claim`` atomic: of all the callers that claim a free key at the same
time, exactly one gets ``CLAIMED``; the others see the record as it is.

A record lives until ``expires_at``: a pending claim for the claim's lease (so a crashed caller
never blocks a key for ever), a completed one for its time to live. An expired record counts as
absent: the key is free again, and ``purge_expired`` deletes such records.
"""

from __future__ import annotations

import enum
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lexigram.contracts.events.subscriptions import ReadModelSessionProtocol

__all__ = [
    "ClaimOutcome",
    "ClaimStatus",
    "IdempotencyRecord",
    "IdempotencyStoreProtocol",
    "IdempotencyTransactionProtocol",
    "RecordStatus",
    "TransactionalIdempotencyStoreProtocol",
]


class RecordStatus(enum.StrEnum):
    """Where the work behind a key stands."""

    PENDING = "pending"
    """A caller claimed the key and its work is running."""
    COMPLETED = "completed"
    """The work finished; ``result`` holds what it returned."""


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What a store keeps under one key."""

    key: str
    """The idempotency key (e.g. ``command:<key>`` or ``inbox:<consumer>:<event id>``)."""
    fingerprint: str
    """A digest of the work's input: the same key with another input is a conflict."""
    status: RecordStatus
    """Pending (claimed, running) or completed."""
    token: str
    """The claim's owner token: only its holder may complete or release the claim."""
    result: str | None
    """The recorded result as JSON text (completed records), None while pending."""
    created_at: datetime
    """When the key was claimed (UTC)."""
    expires_at: datetime | None
    """When the record stops counting (UTC); None: never."""


class ClaimStatus(enum.StrEnum):
    """What ``claim`` found."""

    CLAIMED = "claimed"
    """The key was free: the caller now holds it and must complete or release it."""
    PENDING = "pending"
    """Another caller holds the key and its work is still running."""
    COMPLETED = "completed"
    """The work was done already; the record holds its result."""


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """The answer of ``claim``: the status and the record as it stands after the claim."""

    status: ClaimStatus
    record: IdempotencyRecord


class IdempotencyStoreProtocol(Protocol):
    """Durable, atomic idempotency records; every method is async."""

    async def claim(self, key: str, fingerprint: str, token: str, lease_seconds: float) -> ClaimOutcome:
        """Claim ``key`` for the caller identified by ``token``, atomically.

        A missing or expired record is replaced by a pending one (``CLAIMED``), which expires
        after ``lease_seconds`` unless completed. A live record is returned as it is, with
        ``PENDING`` or ``COMPLETED``; the caller compares its fingerprint.
        """
        ...

    async def complete(self, key: str, token: str, result: str, ttl_seconds: float | None) -> bool:
        """Record ``result`` (JSON text) for the claim held by ``token``; it lives ``ttl_seconds``.

        ``ttl_seconds=None`` keeps it for ever. Returns False when ``token`` no longer holds the
        key (its lease ran out and someone else claimed it); nothing is written then.
        """
        ...

    async def release(self, key: str, token: str) -> bool:
        """Delete the pending claim held by ``token`` so the key is free; False when it holds none."""
        ...

    async def get(self, key: str) -> IdempotencyRecord | None:
        """The live record of ``key``, or None when there is none or it expired."""
        ...

    async def purge_expired(self) -> int:
        """Delete every expired record; return how many were deleted."""
        ...

    async def close(self) -> None:
        """Release the store's resources (a later operation may reopen them)."""
        ...


class IdempotencyTransactionProtocol(Protocol):
    """One database transaction in which a consumer's own SQL and an idempotency record commit together."""

    @property
    def session(self) -> ReadModelSessionProtocol:
        """SQL on the store's database inside this transaction (``?`` on SQLite, ``$1`` on PostgreSQL)."""
        ...

    async def record_once(self, key: str, fingerprint: str, ttl_seconds: float | None) -> bool:
        """Record ``key`` as done in this transaction; False when a live record exists already.

        A concurrent transaction recording the same key waits until this one ends, then sees
        the record (committed) or records it itself (rolled back).
        """
        ...


class TransactionalIdempotencyStoreProtocol(IdempotencyStoreProtocol, Protocol):
    """An idempotency store in a SQL database that can lend a transaction (SQLite, PostgreSQL)."""

    def transaction(self) -> AbstractAsyncContextManager[IdempotencyTransactionProtocol]:
        """One transaction for an ``async with`` block: commit when it ends, roll back when it raises."""
        ...
