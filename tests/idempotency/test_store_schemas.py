"""The idempotency and dead-letter tables come from versioned migrations, like every SQL store's.

With ``auto_create_tables`` off, a store refuses to work on a database without its table and says
what to run; ``migrate()`` (what ``lexigram-events db init`` calls) creates it once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig
from lexigram.events.exceptions import SchemaError
from lexigram.events.stores.postgres.dead_letter_store import PostgresDeadLetterStore
from lexigram.events.stores.postgres.idempotency_store import PostgresIdempotencyStore
from lexigram.events.stores.sqlite.dead_letter_store import SqliteDeadLetterStore
from lexigram.events.stores.sqlite.idempotency_store import SqliteIdempotencyStore

StoreFactory = Callable[[bool], Any]


@pytest.fixture(
    params=["sqlite-idempotency", "sqlite-dead-letters", "postgres-idempotency", "postgres-dead-letters"]
)
def build_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    backend, kind = request.param.split("-", 1)
    if backend == "sqlite":
        database = str(tmp_path / "app.db")

        def sqlite_store(auto: bool) -> Any:
            config = SqliteConfig(database=database, auto_create_tables=auto)
            cls = SqliteIdempotencyStore if kind == "idempotency" else SqliteDeadLetterStore
            return cls(config)

        return sqlite_store
    factory: Callable[..., PostgresEventStoreConfig] = request.getfixturevalue("pg_config")
    tables = factory()

    def postgres_store(auto: bool) -> Any:
        config = tables.model_copy(update={"auto_create_tables": auto})
        cls = PostgresIdempotencyStore if kind == "idempotency" else PostgresDeadLetterStore
        return cls(config)

    return postgres_store


async def test_a_missing_table_is_reported_and_migrate_creates_it_once(build_store: StoreFactory) -> None:
    strict = build_store(False)
    assert await strict.schema_version() == 0
    with pytest.raises(SchemaError, match="db upgrade"):
        await strict.connect()
    assert await strict.migrate() == [1]
    assert await strict.migrate() == []
    assert await strict.schema_version() == strict.latest_schema_version == 1
    await strict.connect()
    await strict.close()

    again = build_store(True)  # auto_create_tables on an up-to-date database: nothing to do
    await again.connect()
    assert await again.schema_version() == 1
    await again.close()
