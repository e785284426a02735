"""The in-memory stores pass the published conformance suites, as any store must."""

from __future__ import annotations

import pytest

from lexigram.events import InMemoryEventStore, InMemorySnapshotStore
from lexigram.events.testing import EventStoreContract, SnapshotStoreContract


class TestInMemoryEventStore(EventStoreContract):
    @pytest.fixture
    def event_store(self) -> InMemoryEventStore:
        return InMemoryEventStore()


class TestInMemoryEventStoreWithSmallStreams(EventStoreContract):
    """A bounded store still honours the contract while streams stay under the bound."""

    @pytest.fixture
    def event_store(self) -> InMemoryEventStore:
        return InMemoryEventStore(max_events_per_stream=300)


class TestInMemorySnapshotStore(SnapshotStoreContract):
    max_snapshots_per_aggregate = 5

    @pytest.fixture
    def snapshot_store(self) -> InMemorySnapshotStore:
        return InMemorySnapshotStore()
