"""The in-memory event store's outbox passes the outbox conformance suite."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events import InMemoryEventStore
from lexigram.events.testing.outbox_store_contract import OutboxContractEvent, OutboxStoreContract


class TestInMemoryOutbox(OutboxStoreContract):
    @pytest.fixture
    def outbox_store(self) -> InMemoryEventStore:
        return InMemoryEventStore(outbox=True)

    @pytest.fixture
    def same_database(self, outbox_store: InMemoryEventStore) -> Callable[[], InMemoryEventStore]:
        return lambda: outbox_store


async def test_a_store_without_an_outbox_says_how_to_get_one() -> None:
    store = InMemoryEventStore()
    await store.append("order-1", [OutboxContractEvent(n=1)])
    assert store.publishes_appended_events is False
    with pytest.raises(ConfigurationError, match="outbox=True"):
        _ = store.outbox


async def test_clearing_the_store_empties_its_outbox() -> None:
    store = InMemoryEventStore(outbox=True)
    await store.append("order-1", [OutboxContractEvent(n=1)])
    store.clear()
    assert await store.outbox.pending_count() == 0
