"""``SqlSagaStore`` on SQLite: the conformance suite, and what only a file does."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.workflow.records import SagaRecord
from lexigram.events.config import SqliteConfig
from lexigram.events.exceptions import SagaConcurrencyError, SchemaError
from lexigram.events.sagas import SqlSagaStore
from lexigram.events.stores.sqlite import SqliteEventStore
from lexigram.events.stores.sqlite.saga_store import SqliteSagaStore
from lexigram.events.testing.saga_store_contract import SagaStoreContract


class TestSqliteSagaStore(SagaStoreContract):
    @pytest.fixture
    async def saga_store(self, tmp_path: Path) -> AsyncIterator[SqlSagaStore]:
        store = SqlSagaStore(SqliteConfig(database=str(tmp_path / "sagas.db")))
        yield store
        await store.close()


async def test_the_saga_table_shares_the_event_store_file_under_its_configured_name(tmp_path: Path) -> None:
    config = SqliteConfig(database=str(tmp_path / "app.db"), sagas_table="order_sagas")
    events = SqliteEventStore(config=config)
    await events.connect()
    sagas = SqlSagaStore(config)
    await sagas.create(SagaRecord(saga_id="s-1", saga_type="Order"))
    assert isinstance(sagas.backend, SqliteSagaStore)
    assert await sagas.schema_version() == sagas.latest_schema_version == 1
    assert await sagas.migrate() == []
    await sagas.close()
    await events.close()
    with sqlite3.connect(config.database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"events", "order_sagas", "order_sagas_schema_migrations"} <= tables


async def test_two_stores_on_one_file_cannot_both_advance_a_saga(tmp_path: Path) -> None:
    config = SqliteConfig(database=str(tmp_path / "sagas.db"))
    first, second = SqlSagaStore(config), SqlSagaStore(config)
    created = await first.create(SagaRecord(saga_id="s-1", saga_type="Order"))
    await first.save(created.evolve(data={"by": "first"}), 1)
    with pytest.raises(SagaConcurrencyError):
        await second.save(created.evolve(data={"by": "second"}), 1)
    assert (await second.get("s-1")).data == {"by": "first"}  # type: ignore[union-attr]
    await first.close()
    await second.close()


async def test_without_auto_create_a_missing_table_says_how_to_create_it(tmp_path: Path) -> None:
    store = SqlSagaStore(SqliteConfig(database=str(tmp_path / "new.db"), auto_create_tables=False))
    with pytest.raises(SchemaError, match="db upgrade"):
        await store.get("s-1")
    await store.close()


async def test_a_url_picks_the_backend(tmp_path: Path) -> None:
    store = SqlSagaStore(f"sqlite:///{tmp_path / 'url.db'}")
    assert isinstance(store.backend, SqliteSagaStore)
    await store.create(SagaRecord(saga_id="s-1", saga_type="Order"))
    await store.close()
    with pytest.raises(ConfigurationError, match="sqlite:///"):
        SqlSagaStore("mysql://nope")
    with pytest.raises(ConfigurationError, match="SqliteConfig"):
        SqlSagaStore(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="provider"):
        SqlSagaStore(SqliteConfig(database=str(tmp_path / "x.db")), provider=object())
