"""``InMemoryPartitionLeaseStore``: partition leases in process memory (tests, one process).

Also home of the argument checks every lease store applies (``checked_claim`` and friends), so
all stores accept and refuse the same values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lexigram.contracts.events.leases import PartitionLease
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.messages.ids import utc_now

if TYPE_CHECKING:
    from lexigram.contracts.events.leases import PartitionLeaseStoreProtocol
    from lexigram.contracts.events.subscriptions import CheckpointTransactionProtocol

__all__ = [
    "InMemoryPartitionLeaseStore",
    "checked_claim",
    "checked_leases",
    "checked_name",
    "checked_owner",
    "checked_partitions",
    "checked_ttl",
    "total_conflict",
]

LARGEST_PARTITIONS = 1 << 20
"""The most partitions a projection may have (far beyond any sensible worker count)."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def checked_name(name: Any) -> str:
    """A projection name: a non-empty str."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"the projection name must be a non-empty str, got {name!r}")
    return name


def checked_owner(owner: Any) -> str:
    """A worker id: a non-empty str."""
    if not isinstance(owner, str) or not owner:
        raise ValueError(f"the lease owner must be a non-empty str (a worker id), got {owner!r}")
    return owner


def checked_ttl(ttl: Any) -> float:
    """A lease duration: a positive, finite number of seconds."""
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not math.isfinite(ttl) or ttl <= 0:
        raise ValueError(f"the lease ttl must be a positive number of seconds, got {ttl!r}")
    return float(ttl)


def checked_claim(
    name: Any, total: Any, owner: Any, ttl: Any, max_partitions: Any
) -> tuple[str, int, str, float, int]:
    """The arguments of ``claim``, checked; ``ValueError`` names the first bad one."""
    if not _is_int(total) or not 1 <= total <= LARGEST_PARTITIONS:
        raise ValueError(f"total must be an int from 1 to {LARGEST_PARTITIONS}, got {total!r}")
    if not _is_int(max_partitions) or max_partitions < 0:
        raise ValueError(f"max_partitions must be an int >= 0, got {max_partitions!r}")
    return checked_name(name), int(total), checked_owner(owner), checked_ttl(ttl), int(max_partitions)


def checked_partitions(partitions: Iterable[Any] | None) -> list[int] | None:
    """The partitions of ``release`` (None: every one), checked."""
    if partitions is None:
        return None
    chosen = list(partitions)
    for partition in chosen:
        if not _is_int(partition) or not 0 <= partition < LARGEST_PARTITIONS:
            raise ValueError(f"a partition must be an int >= 0, got {partition!r}")
    return sorted(set(chosen))


def checked_leases(leases: Sequence[Any]) -> list[PartitionLease]:
    """The leases of ``renew``, checked to be ``PartitionLease`` records."""
    checked = list(leases)
    for lease in checked:
        if not isinstance(lease, PartitionLease):
            raise ValueError(f"renew takes PartitionLease records, got {type(lease).__name__}: {lease!r}")
    return checked


def total_conflict(name: str, total: int, other: int, owner: str) -> ConfigurationError:
    """The error of a claim whose partition count differs from the group's live leases."""
    return ConfigurationError(
        f"projection {name!r} is run in {other} partitions by live workers (such as {owner!r}), "
        f"but this worker asked for {total}: every worker of a group must use the same "
        "partitions=...; stop the others (or let their leases expire) to change it"
    )


_NEVER = datetime.min.replace(tzinfo=UTC)
"""The expiry of a free partition."""


@dataclass(slots=True)
class _Slot:
    total: int
    owner: str = ""
    token: int = 0
    expires_at: datetime = _NEVER

    def lease(self, name: str, partition: int) -> PartitionLease:
        return PartitionLease(name, partition, self.total, self.owner, self.token, self.expires_at)


class InMemoryPartitionLeaseStore:
    """Leases in a dict of this process: consumer groups whose members all live in one process.

    Example::

        leases = InMemoryPartitionLeaseStore()
        held = await leases.claim("order_totals", total=8, owner="worker-1", ttl=10, max_partitions=4)
        assert [lease.partition for lease in held] == [0, 1, 2, 3]

    Every operation runs without awaiting, so each is atomic for the event loop. ``holds`` checks
    the lease at the moment it is called: give several managers of one process the same store
    to share partitions among them (tests, or one process running several members). Members in
    different processes need a shared store, such as ``PostgresPartitionLeaseStore``.
    ``clock`` (aware UTC datetimes) exists for tests.
    """

    def __init__(self, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._slots: dict[str, dict[int, _Slot]] = {}
        self._members: dict[str, dict[str, datetime]] = {}

    async def connect(self) -> None:
        """Nothing to open."""
        return

    async def close(self) -> None:
        """Nothing to release; the leases stay."""
        return

    async def claim(
        self, name: str, total: int, owner: str, ttl: float, max_partitions: int
    ) -> list[PartitionLease]:
        """Take free or expired partitions until ``owner`` holds ``max_partitions``; return all it holds."""
        name, total, owner, ttl, wanted = checked_claim(name, total, owner, ttl, max_partitions)
        now = self._clock()
        slots = self._slots.setdefault(name, {})
        for slot in slots.values():
            if slot.total != total and slot.owner and slot.expires_at > now:
                raise total_conflict(name, total, slot.total, slot.owner)
        if any(slot.total != total for slot in slots.values()):
            self._slots[name] = slots = {
                partition: _Slot(total, token=slot.token)
                for partition, slot in slots.items()
                if partition < total
            }
        for partition in range(total):
            slots.setdefault(partition, _Slot(total))
        self._join(name, owner, now, ttl)
        held = sum(1 for slot in slots.values() if slot.owner == owner and slot.expires_at > now)
        expiry = now + timedelta(seconds=ttl)
        for partition in sorted(slots):
            if held >= wanted:
                break
            slot = slots[partition]
            if slot.owner and slot.expires_at > now:
                continue
            slot.owner, slot.token, slot.expires_at = owner, slot.token + 1, expiry
            held += 1
        return [
            slot.lease(name, partition)
            for partition, slot in sorted(slots.items())
            if slot.owner == owner and slot.expires_at > now
        ]

    async def renew(self, leases: Sequence[PartitionLease], ttl: float) -> list[PartitionLease]:
        """Extend the leases still held (same owner and token) by ``ttl`` seconds; return them."""
        checked, seconds = checked_leases(leases), checked_ttl(ttl)
        now = self._clock()
        expiry = now + timedelta(seconds=seconds)
        renewed: list[PartitionLease] = []
        for lease in checked:
            self._join(lease.projection_name, lease.owner, now, seconds)
            slot = self._slots.get(lease.projection_name, {}).get(lease.partition)
            if slot is None or slot.owner != lease.owner or slot.token != lease.token:
                continue
            slot.expires_at = expiry
            renewed.append(slot.lease(lease.projection_name, lease.partition))
        return sorted(renewed, key=lambda lease: (lease.projection_name, lease.partition))

    async def release(self, name: str, owner: str, partitions: Iterable[int] | None = None) -> None:
        """Give up ``owner``'s leases on ``partitions`` at once (None: all, and leave the group)."""
        name, owner, chosen = checked_name(name), checked_owner(owner), checked_partitions(partitions)
        for partition, slot in self._slots.get(name, {}).items():
            if slot.owner == owner and (chosen is None or partition in chosen):
                slot.owner, slot.expires_at = "", _NEVER
        if chosen is None:
            self._members.get(name, {}).pop(owner, None)

    async def list_leases(self, name: str) -> list[PartitionLease]:
        """The live leases of the projection's partitions, by partition."""
        now = self._clock()
        return [
            slot.lease(name, partition)
            for partition, slot in sorted(self._slots.get(checked_name(name), {}).items())
            if slot.owner and slot.expires_at > now
        ]

    async def members(self, name: str) -> list[str]:
        """The live members of the projection's group (owners of live leases included), sorted."""
        now = self._clock()
        key = checked_name(name)
        live = {owner for owner, expiry in self._members.get(key, {}).items() if expiry > now}
        live.update(lease.owner for lease in await self.list_leases(key))
        return sorted(live)

    async def holds(
        self, lease: PartitionLease, transaction: CheckpointTransactionProtocol | None = None
    ) -> bool:
        """True while ``lease`` is still its owner's (checked now; ``transaction`` is not needed here)."""
        slot = self._slots.get(lease.projection_name, {}).get(lease.partition)
        return slot is not None and slot.owner == lease.owner and slot.token == lease.token

    def _join(self, name: str, owner: str, now: datetime, ttl: float) -> None:
        members = self._members.setdefault(name, {})
        for member in [m for m, expiry in members.items() if expiry <= now]:
            del members[member]
        members[owner] = now + timedelta(seconds=ttl)


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: InMemoryPartitionLeaseStore) -> PartitionLeaseStoreProtocol:
        return store
