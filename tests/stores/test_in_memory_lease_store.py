"""The in-memory partition lease store passes the conformance suite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lexigram.events.stores.memory.lease_store import InMemoryPartitionLeaseStore
from lexigram.events.testing import PartitionLeaseStoreContract


class TestInMemoryPartitionLeaseStore(PartitionLeaseStoreContract):
    @pytest.fixture
    def lease_store(self) -> InMemoryPartitionLeaseStore:
        return InMemoryPartitionLeaseStore()


async def test_the_clock_decides_expiry() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    store = InMemoryPartitionLeaseStore(clock=lambda: now[0])
    (lease,) = await store.claim("totals", 1, "w1", 10, 1)
    assert lease.expires_at == now[0] + timedelta(seconds=10)
    now[0] += timedelta(seconds=9)
    assert await store.claim("totals", 1, "w2", 10, 1) == []
    now[0] += timedelta(seconds=2)
    (taken,) = await store.claim("totals", 1, "w2", 10, 1)
    assert (taken.owner, taken.token) == ("w2", lease.token + 1)
