"""``InMemorySagaStore`` passes the saga-store conformance suite."""

from __future__ import annotations

import pytest

from lexigram.events.sagas import InMemorySagaStore
from lexigram.events.testing.saga_store_contract import SagaStoreContract


class TestInMemorySagaStore(SagaStoreContract):
    @pytest.fixture
    async def saga_store(self) -> InMemorySagaStore:
        return InMemorySagaStore()
