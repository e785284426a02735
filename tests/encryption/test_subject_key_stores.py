"""Every subject-key store passes the same contract: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig
from lexigram.events.stores.memory.subject_key_store import InMemorySubjectKeyStore
from lexigram.events.stores.postgres.subject_key_store import PostgresSubjectKeyStore
from lexigram.events.stores.sqlite.subject_key_store import SqliteSubjectKeyStore
from lexigram.events.testing.subject_key_store_contract import SubjectKeyStoreContract


class TestInMemorySubjectKeyStore(SubjectKeyStoreContract):
    @pytest.fixture
    async def subject_key_store(self) -> AsyncIterator[InMemorySubjectKeyStore]:
        store = InMemorySubjectKeyStore()
        yield store
        await store.close()


class TestSqliteSubjectKeyStore(SubjectKeyStoreContract):
    @pytest.fixture
    async def subject_key_store(self, tmp_path: Path) -> AsyncIterator[SqliteSubjectKeyStore]:
        store = SqliteSubjectKeyStore(SqliteConfig(database=str(tmp_path / "keys.db")), table="customer_keys")
        yield store
        await store.close()


class TestPostgresSubjectKeyStore(SubjectKeyStoreContract):
    @pytest.fixture
    async def subject_key_store(
        self, pg_config: Callable[..., PostgresEventStoreConfig]
    ) -> AsyncIterator[PostgresSubjectKeyStore]:
        config = pg_config()
        store = PostgresSubjectKeyStore(config, table=f"{pg_config.prefixes[-1]}_keys")  # type: ignore[attr-defined]
        yield store
        await store.close()


@pytest.mark.parametrize("table", ["", "1keys", "keys; DROP TABLE events", "x" * 42, None])
def test_a_bad_table_name_is_refused(table: Any) -> None:
    with pytest.raises(ConfigurationError):
        SqliteSubjectKeyStore(SqliteConfig(database=":memory:"), table=table)
    with pytest.raises(ConfigurationError):
        PostgresSubjectKeyStore(PostgresEventStoreConfig(dsn="postgresql://localhost/x"), table=table)


async def test_sqlite_forget_leaves_no_trace_of_the_key_in_the_files(tmp_path: Path) -> None:
    config = SqliteConfig(database=str(tmp_path / "keys.db"))
    store = SqliteSubjectKeyStore(config)
    marker = b"WRAPPED-KEY-" + uuid.uuid4().hex.encode()
    await store.create("events/pii-key", "c1", marker)
    await store.create("events/pii-key", "c2", b"another-key")

    def raw() -> bytes:
        return b"".join(path.read_bytes() for path in tmp_path.glob("keys.db*"))

    assert marker in raw()
    assert await store.forget("events/pii-key", "c1")
    assert marker not in raw()
    assert (await store.get("events/pii-key", "c2")).wrapped_key == b"another-key"
    await store.close()


async def test_postgres_tables_come_from_migrations_and_purge_rewrites_them(
    pg_config: Callable[..., PostgresEventStoreConfig], postgres_dsn: str
) -> None:
    config = pg_config(auto_create_tables=False)
    table = f"{pg_config.prefixes[-1]}_keys"  # type: ignore[attr-defined]
    store = PostgresSubjectKeyStore(config, table=table)
    assert await store.schema_version() == 0
    assert await store.migrate() == [1]
    assert await store.schema_version() == store.latest_schema_version == 1
    await store.create("events/pii-key", "c1", b"k1")
    await store.forget("events/pii-key", "c1")
    await store.purge()
    connection = await asyncpg.connect(postgres_dsn)
    try:
        rows = await connection.fetch(f'SELECT subject, wrapped_key FROM "{table}"')
    finally:
        await connection.close()
    assert [(row[0], row[1]) for row in rows] == [("c1", None)]
    await store.close()
