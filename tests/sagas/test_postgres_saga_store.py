"""``SqlSagaStore`` on PostgreSQL: the conformance suite against a real server, and pool sharing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.workflow.records import SagaRecord
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import SagaConcurrencyError, SagaStoreError, SchemaError
from lexigram.events.sagas import SqlSagaStore
from lexigram.events.stores.postgres import PostgresEventStore
from lexigram.events.stores.postgres.saga_store import PostgresSagaStore
from lexigram.events.testing.saga_store_contract import SagaStoreContract

ConfigFactory = Callable[..., PostgresEventStoreConfig]


class TestPostgresSagaStore(SagaStoreContract):
    @pytest.fixture
    async def saga_store(self, pg_config: ConfigFactory) -> AsyncIterator[SqlSagaStore]:
        store = SqlSagaStore(pg_config())  # not connected: the first operation connects
        yield store
        await store.close()


async def test_the_saga_store_shares_the_event_store_pool(pg_config: ConfigFactory) -> None:
    config = pg_config()
    events = PostgresEventStore(config=config)
    await events.connect()
    sagas = SqlSagaStore(config, provider=events.pool)
    assert isinstance(sagas.backend, PostgresSagaStore)
    assert sagas.backend.pool is events.pool
    await sagas.create(SagaRecord(saga_id="s-1", saga_type="Order"))
    await sagas.close()
    assert events.pool.is_open  # the event store still uses it
    assert await events.get_stream_version("nothing") == 0
    await events.close()


async def test_two_stores_cannot_both_advance_a_saga(pg_config: ConfigFactory) -> None:
    config = pg_config()
    first, second = SqlSagaStore(config), SqlSagaStore(config)
    created = await first.create(SagaRecord(saga_id="s-1", saga_type="Order"))
    await first.save(created.evolve(data={"by": "first"}), 1)
    with pytest.raises(SagaConcurrencyError):
        await second.save(created.evolve(data={"by": "second"}), 1)
    loaded = await second.get("s-1")
    assert loaded is not None
    assert loaded.data == {"by": "first"}
    assert await first.migrate() == []
    assert await first.schema_version() == 1
    await first.close()
    await second.close()


async def test_without_auto_create_a_missing_table_says_how_to_create_it(pg_config: ConfigFactory) -> None:
    store = SqlSagaStore(pg_config(auto_create_tables=False))
    with pytest.raises(SchemaError, match="migrate"):
        await store.get("s-1")
    await store.close()


async def test_an_unreachable_server_is_a_saga_store_error(pg_config: ConfigFactory) -> None:
    store = SqlSagaStore(
        PostgresEventStoreConfig(dsn="postgresql://nobody@127.0.0.1:1/none", command_timeout=2)
    )
    with pytest.raises(SagaStoreError, match="cannot connect"):
        await store.get("s-1")
    await store.close()


def test_a_table_name_too_long_for_postgresql_is_refused(pg_config: ConfigFactory) -> None:
    with pytest.raises(ConfigurationError, match="too long"):
        SqlSagaStore(pg_config(sagas_table="s" * 50))
