"""The in-memory checkpoint store passes the conformance suite; its transactions have no session."""

from __future__ import annotations

import pytest

from lexigram.contracts.events.records import Checkpoint
from lexigram.events import InMemoryCheckpointStore
from lexigram.events.testing import CheckpointStoreContract


class TestInMemoryCheckpointStore(CheckpointStoreContract):
    @pytest.fixture
    def checkpoint_store(self) -> InMemoryCheckpointStore:
        return InMemoryCheckpointStore()


async def test_a_transaction_has_no_session_and_applies_only_at_the_end() -> None:
    store = InMemoryCheckpointStore()
    await store.save(Checkpoint("totals", 1))
    async with store.transaction() as transaction:
        assert transaction.session is None
        await transaction.save(Checkpoint("totals", 2))
        assert (await store.load("totals")).position == 1  # buffered until the block ends
    assert (await store.load("totals")).position == 2


async def test_connect_and_close_keep_the_data() -> None:
    store = InMemoryCheckpointStore()
    await store.connect()
    await store.save(Checkpoint("totals", 3))
    await store.close()
    await store.close()
    assert (await store.load("totals")).position == 3
