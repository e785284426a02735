"""The PostgreSQL event store's outbox: the conformance suite on a real server, and transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.stores.postgres import PostgresEventStore
from lexigram.events.stores.postgres.schema import EventTables
from lexigram.events.testing.outbox_store_contract import OutboxContractEvent, OutboxStoreContract

ConfigFactory = Callable[..., PostgresEventStoreConfig]


class TestPostgresOutbox(OutboxStoreContract):
    @pytest.fixture
    def settings(self, pg_config: ConfigFactory) -> PostgresEventStoreConfig:
        return pg_config()

    @pytest.fixture
    async def outbox_store(self, settings: PostgresEventStoreConfig) -> AsyncIterator[PostgresEventStore]:
        store = PostgresEventStore(settings, outbox=True)
        yield store
        await store.close()

    @pytest.fixture
    def same_database(self, settings: PostgresEventStoreConfig) -> Callable[[], PostgresEventStore]:
        return lambda: PostgresEventStore(settings, outbox=True)


async def test_rows_appended_in_a_rolled_back_transaction_are_not_in_the_outbox(
    pg_config: ConfigFactory,
) -> None:
    store = PostgresEventStore(pg_config(), outbox=True)
    await store.connect()
    async with store.pool.connection() as connection:
        transaction = connection.transaction()
        await transaction.start()
        await store.append_on(connection, "order-1", [OutboxContractEvent(n=1)])
        await transaction.rollback()
        async with connection.transaction():
            await store.append_on(connection, "order-2", [OutboxContractEvent(n=2)])
    claimed = await store.outbox.claim("relay", 10, 30.0)
    assert [(m.stream_id, m.event.n) for m in claimed] == [("order-2", 2)]
    await store.close()


async def test_a_store_without_an_outbox_says_how_to_get_one(pg_config: ConfigFactory) -> None:
    store = PostgresEventStore(pg_config())
    with pytest.raises(ConfigurationError, match="outbox=True"):
        _ = store.outbox
    await store.close()


def test_an_outbox_table_name_too_long_for_its_index_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="outbox_table"):
        EventTables.named("events", "o" * 60)
