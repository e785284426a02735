"""``PartitionLeaseStoreContract``: the conformance suite every partition lease store passes.

Subclass it and provide a ``lease_store`` fixture that gives each test a new, empty store::

    class TestMyLeaseStore(PartitionLeaseStoreContract):
        @pytest.fixture
        async def lease_store(self):
            store = MyLeaseStore(...)
            yield store
            await store.close()

``holds`` is also checked inside a checkpoint transaction: override the ``fencing_checkpoints``
fixture with a checkpoint store in the lease store's database (the default is an
``InMemoryCheckpointStore``). Expiry is tested with real time: leases of ``SHORT`` seconds and
waits a little longer than that.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from lexigram.contracts.events.leases import PartitionLease
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.stores.memory.checkpoint_store import InMemoryCheckpointStore

__all__ = ["PartitionLeaseStoreContract"]

LONG = 60.0
"""A lease that stays live for the whole test."""


def _partitions(leases: list[PartitionLease]) -> list[int]:
    return [lease.partition for lease in leases]


class PartitionLeaseStoreContract:
    """The lease-store conformance suite; subclass it and provide a ``lease_store`` fixture."""

    pytestmark = pytest.mark.asyncio

    SHORT: ClassVar[float] = 0.3
    """Seconds of a lease the tests let expire."""

    @pytest.fixture
    def fencing_checkpoints(self) -> Any:
        """A checkpoint store whose transactions ``holds`` is checked in (override: same database)."""
        return InMemoryCheckpointStore()

    async def expire(self) -> None:
        """Wait until leases of ``SHORT`` seconds have expired."""
        await asyncio.sleep(self.SHORT + 0.25)

    # --- claiming ------------------------------------------------------------------------------

    async def test_a_first_claim_takes_up_to_max_partitions(self, lease_store: Any) -> None:
        before = datetime.now(UTC)
        held = await lease_store.claim("totals", 8, "w1", LONG, 3)
        assert _partitions(held) == [0, 1, 2]
        for lease in held:
            assert isinstance(lease, PartitionLease)
            assert (lease.projection_name, lease.total, lease.owner) == ("totals", 8, "w1")
            assert lease.token >= 1
            assert lease.expires_at.utcoffset() == timedelta(0)
            assert (
                before + timedelta(seconds=LONG - 5) < lease.expires_at < before + timedelta(seconds=LONG + 5)
            )

    async def test_a_claim_never_takes_a_live_lease_of_another_owner(self, lease_store: Any) -> None:
        first = await lease_store.claim("totals", 4, "w1", LONG, 3)
        second = await lease_store.claim("totals", 4, "w2", LONG, 4)
        assert _partitions(first) == [0, 1, 2]
        assert _partitions(second) == [3]
        assert await lease_store.claim("totals", 4, "w3", LONG, 4) == []

    async def test_claiming_again_returns_what_is_held_with_the_same_tokens(self, lease_store: Any) -> None:
        first = await lease_store.claim("totals", 4, "w1", LONG, 2)
        again = await lease_store.claim("totals", 4, "w1", LONG, 2)
        assert [(lease.partition, lease.token) for lease in again] == [
            (lease.partition, lease.token) for lease in first
        ]

    async def test_max_partitions_counts_what_is_already_held(self, lease_store: Any) -> None:
        await lease_store.claim("totals", 6, "w1", LONG, 2)
        assert _partitions(await lease_store.claim("totals", 6, "w1", LONG, 3)) == [0, 1, 2]
        # asking for fewer gives nothing back: releasing is explicit
        assert _partitions(await lease_store.claim("totals", 6, "w1", LONG, 1)) == [0, 1, 2]
        assert _partitions(await lease_store.claim("totals", 6, "w1", LONG, 0)) == [0, 1, 2]

    async def test_an_expired_lease_is_taken_over_with_a_greater_token(self, lease_store: Any) -> None:
        (old,) = await lease_store.claim("totals", 1, "w1", self.SHORT, 1)
        assert await lease_store.claim("totals", 1, "w2", LONG, 1) == []
        await self.expire()
        (new,) = await lease_store.claim("totals", 1, "w2", LONG, 1)
        assert (new.partition, new.owner) == (0, "w2")
        assert new.token > old.token
        assert await lease_store.claim("totals", 1, "w1", LONG, 1) == []

    async def test_an_owner_reclaiming_its_own_expired_lease_gets_a_new_token(self, lease_store: Any) -> None:
        (old,) = await lease_store.claim("totals", 1, "w1", self.SHORT, 1)
        await self.expire()
        (new,) = await lease_store.claim("totals", 1, "w1", LONG, 1)
        assert new.token > old.token
        assert not await lease_store.holds(old)
        assert await lease_store.holds(new)

    async def test_concurrent_claims_never_share_a_partition(self, lease_store: Any) -> None:
        owners = [f"w{n}" for n in range(6)]
        results = await asyncio.gather(*(lease_store.claim("totals", 8, owner, LONG, 8) for owner in owners))
        taken = [lease.partition for held in results for lease in held]
        assert sorted(taken) == list(range(8))  # each partition exactly once
        for owner, held in zip(owners, results, strict=True):
            assert all(lease.owner == owner for lease in held)
        listed = await lease_store.list_leases("totals")
        assert {(lease.partition, lease.owner) for lease in listed} == {
            (lease.partition, lease.owner) for held in results for lease in held
        }

    async def test_projections_have_their_own_partitions(self, lease_store: Any) -> None:
        assert _partitions(await lease_store.claim("totals", 2, "w1", LONG, 2)) == [0, 1]
        assert _partitions(await lease_store.claim("revenue", 3, "w2", LONG, 3)) == [0, 1, 2]
        assert _partitions(await lease_store.list_leases("totals")) == [0, 1]
        assert await lease_store.members("revenue") == ["w2"]

    # --- renewing and releasing ----------------------------------------------------------------

    async def test_renew_extends_the_leases_still_held(self, lease_store: Any) -> None:
        held = await lease_store.claim("totals", 2, "w1", self.SHORT, 2)
        renewed = await lease_store.renew(held, LONG)
        assert [(lease.partition, lease.token) for lease in renewed] == [
            (lease.partition, lease.token) for lease in held
        ]
        assert all(new.expires_at > old.expires_at for new, old in zip(renewed, held, strict=True))
        await self.expire()
        assert await lease_store.claim("totals", 2, "w2", LONG, 2) == []  # still w1's
        assert await lease_store.renew([], LONG) == []

    async def test_a_lease_taken_over_is_not_renewed(self, lease_store: Any) -> None:
        held = await lease_store.claim("totals", 2, "w1", self.SHORT, 2)
        await lease_store.renew(held[1:], LONG)
        await self.expire()
        assert _partitions(await lease_store.claim("totals", 2, "w2", LONG, 2)) == [0]
        renewed = await lease_store.renew(held, LONG)
        assert _partitions(renewed) == [1]

    async def test_an_expired_lease_nobody_took_can_be_renewed(self, lease_store: Any) -> None:
        held = await lease_store.claim("totals", 1, "w1", self.SHORT, 1)
        await self.expire()
        assert await lease_store.list_leases("totals") == []  # not live any more
        (renewed,) = await lease_store.renew(held, LONG)
        assert renewed.token == held[0].token
        assert _partitions(await lease_store.list_leases("totals")) == [0]

    async def test_release_frees_partitions_at_once(self, lease_store: Any) -> None:
        held = await lease_store.claim("totals", 3, "w1", LONG, 3)
        await lease_store.release("totals", "w1", [0, 2])
        await lease_store.release("totals", "w2", [1])  # not w2's: nothing happens
        await lease_store.release("totals", "w1", [])
        taken = await lease_store.claim("totals", 3, "w2", LONG, 3)
        assert _partitions(taken) == [0, 2]
        assert all(new.token > held[new.partition].token for new in taken)
        assert [(lease.partition, lease.token) for lease in await lease_store.renew(held, LONG)] == [
            (1, held[1].token)
        ]

    async def test_release_without_partitions_leaves_the_group(self, lease_store: Any) -> None:
        await lease_store.claim("totals", 2, "w1", LONG, 1)
        await lease_store.claim("totals", 2, "w2", LONG, 0)
        assert await lease_store.members("totals") == ["w1", "w2"]
        await lease_store.release("totals", "w1")
        assert await lease_store.members("totals") == ["w2"]
        assert await lease_store.list_leases("totals") == []
        assert _partitions(await lease_store.claim("totals", 2, "w2", LONG, 2)) == [0, 1]

    # --- the group -----------------------------------------------------------------------------

    async def test_members_count_claimers_that_hold_nothing_until_they_expire(self, lease_store: Any) -> None:
        await lease_store.claim("totals", 1, "w1", LONG, 1)
        assert await lease_store.claim("totals", 1, "w2", self.SHORT, 1) == []
        assert await lease_store.members("totals") == ["w1", "w2"]
        await self.expire()
        assert await lease_store.members("totals") == ["w1"]
        assert await lease_store.members("nobody") == []

    async def test_renewing_keeps_a_member_alive(self, lease_store: Any) -> None:
        held = await lease_store.claim("totals", 1, "w1", self.SHORT, 1)
        await asyncio.sleep(self.SHORT / 2)
        await lease_store.renew(held, self.SHORT)
        await asyncio.sleep(self.SHORT / 2 + 0.05)
        assert await lease_store.members("totals") == ["w1"]

    async def test_list_leases_shows_the_live_leases_by_partition(self, lease_store: Any) -> None:
        await lease_store.claim("totals", 4, "w1", LONG, 1)
        await lease_store.claim("totals", 4, "w2", self.SHORT, 2)
        assert [(lease.partition, lease.owner) for lease in await lease_store.list_leases("totals")] == [
            (0, "w1"),
            (1, "w2"),
            (2, "w2"),
        ]
        await self.expire()
        assert _partitions(await lease_store.list_leases("totals")) == [0]
        assert await lease_store.list_leases("nobody") == []

    async def test_another_partition_count_is_refused_while_the_group_is_live(self, lease_store: Any) -> None:
        await lease_store.claim("totals", 4, "w1", self.SHORT, 4)
        with pytest.raises(ConfigurationError, match="partitions"):
            await lease_store.claim("totals", 2, "w2", LONG, 2)
        await self.expire()
        held = await lease_store.claim("totals", 2, "w2", LONG, 2)
        assert [(lease.partition, lease.total) for lease in held] == [(0, 2), (1, 2)]
        assert all(lease.total == 2 for lease in await lease_store.list_leases("totals"))

    # --- fencing -------------------------------------------------------------------------------

    async def test_holds_follows_the_owner_and_the_token(self, lease_store: Any) -> None:
        (lease,) = await lease_store.claim("totals", 1, "w1", self.SHORT, 1)
        assert await lease_store.holds(lease)
        await self.expire()
        assert await lease_store.holds(lease)  # expired, but nobody took it over
        (taken,) = await lease_store.claim("totals", 1, "w2", LONG, 1)
        assert not await lease_store.holds(lease)
        assert await lease_store.holds(taken)
        await lease_store.release("totals", "w2")
        assert not await lease_store.holds(taken)

    async def test_holds_inside_a_checkpoint_transaction(
        self, lease_store: Any, fencing_checkpoints: Any
    ) -> None:
        (lease,) = await lease_store.claim("totals", 1, "w1", self.SHORT, 1)
        async with fencing_checkpoints.transaction() as transaction:
            assert await lease_store.holds(lease, transaction)
        await self.expire()
        await lease_store.claim("totals", 1, "w2", LONG, 1)
        async with fencing_checkpoints.transaction() as transaction:
            assert not await lease_store.holds(lease, transaction)

    # --- arguments -----------------------------------------------------------------------------

    async def test_bad_arguments_are_refused(self, lease_store: Any) -> None:
        for name, total, owner, ttl, most in [
            ("", 2, "w1", 1.0, 1),
            ("totals", 0, "w1", 1.0, 1),
            ("totals", True, "w1", 1.0, 1),
            ("totals", 2, "", 1.0, 1),
            ("totals", 2, "w1", 0, 1),
            ("totals", 2, "w1", float("inf"), 1),
            ("totals", 2, "w1", 1.0, -1),
        ]:
            with pytest.raises(ValueError, match=r"name|total|owner|ttl|max_partitions"):
                await lease_store.claim(name, total, owner, ttl, most)
        with pytest.raises(ValueError, match="PartitionLease"):
            await lease_store.renew(["not a lease"], 1.0)
        with pytest.raises(ValueError, match="partition"):
            await lease_store.release("totals", "w1", [-1])
        assert await lease_store.list_leases("totals") == []
