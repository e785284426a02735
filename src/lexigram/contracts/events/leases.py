"""Partition leases: how the workers of a consumer group share the partitions of one projection.

A partitioned projection splits the global log into ``total`` partitions by stream (every stream
in exactly one partition). Each partition is worked on by at most one worker at a time, the one
holding its *lease*. A lease expires ``ttl`` seconds after it was last claimed or renewed, by the
store's clock; an expired lease may be claimed by anyone. Every time a partition is (re)claimed
its *fencing token* grows, so a worker that lost its lease (it paused past the expiry, or was cut
off from the store) can be recognised by its outdated token and refused: ``holds`` checks the
owner and the token, inside the checkpoint transaction that is about to commit when it can.

``PartitionLeaseStoreProtocol`` is what ``ProjectionManager`` needs from a lease store;
``InMemoryPartitionLeaseStore`` (one process) and ``PostgresPartitionLeaseStore`` implement it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lexigram.contracts.events.subscriptions import CheckpointTransactionProtocol

__all__ = ["PartitionLease", "PartitionLeaseStoreProtocol"]


@dataclass(frozen=True, slots=True)
class PartitionLease:
    """One partition of a projection, held by one worker until ``expires_at`` unless renewed.

    ``token`` is the fencing token: it grows every time the partition is claimed, so two leases
    on the same partition with different tokens belong to different ownerships, and only the
    one with the current token may commit. ``expires_at`` is an aware UTC datetime of the
    store's clock (the server's ``now()`` for PostgreSQL).
    """

    projection_name: str
    partition: int
    total: int
    owner: str
    token: int
    expires_at: datetime


class PartitionLeaseStoreProtocol(Protocol):
    """Leases of projection partitions; every operation is atomic in the store.

    Group membership rides along: ``claim`` and ``renew`` also record the owner as a live member
    of the projection's group for ``ttl`` seconds, so a worker that holds nothing yet still
    counts when the others compute their fair share; ``release`` without partitions leaves.
    """

    async def connect(self) -> None:
        """Open connections and create the tables (idempotent)."""
        ...

    async def close(self) -> None:
        """Release connections (idempotent)."""
        ...

    async def claim(
        self, name: str, total: int, owner: str, ttl: float, max_partitions: int
    ) -> list[PartitionLease]:
        """Take free or expired partitions until ``owner`` holds ``max_partitions``; return all it holds.

        Never takes a live lease of another owner. Every partition taken gets a new token (the
        previous one plus one) and expires ``ttl`` seconds from now; leases the owner already
        held are returned as they are. ``owner`` becomes a live member of the group for ``ttl``
        seconds. Claiming with a ``total`` other than the one live leases of the group use
        raises ``ConfigurationError`` (all workers of a group must agree on the partitioning).
        """
        ...

    async def renew(self, leases: Sequence[PartitionLease], ttl: float) -> list[PartitionLease]:
        """Extend the leases still held (same owner and token) by ``ttl`` seconds from now; return them.

        A lease taken over by someone else (its token moved on) or released is left out. A lease
        past its expiry that nobody took yet is still held and is renewed. The owners become live
        members of their groups for ``ttl`` seconds.
        """
        ...

    async def release(self, name: str, owner: str, partitions: Iterable[int] | None = None) -> None:
        """Give up ``owner``'s leases on ``partitions`` at once (None: all, and leave the group)."""
        ...

    async def list_leases(self, name: str) -> list[PartitionLease]:
        """The live leases of the projection's partitions, by partition."""
        ...

    async def members(self, name: str) -> list[str]:
        """The live members of the projection's group (owners of live leases included), sorted."""
        ...

    async def holds(
        self, lease: PartitionLease, transaction: CheckpointTransactionProtocol | None = None
    ) -> bool:
        """True while ``lease`` is still its owner's (same owner and token: nobody took it over).

        Given the checkpoint transaction about to commit, a store that shares the checkpoint
        store's database checks inside it and keeps the lease from being taken over until the
        transaction ends, so a commit can never follow a takeover. Other stores check on their own.
        """
        ...
