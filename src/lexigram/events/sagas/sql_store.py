"""``SqlSagaStore``: the durable saga store, on SQLite or PostgreSQL, picked by its config.

Example::

    store = SqlSagaStore(SqliteConfig(database="app.db"))                      # SQLite
    store = SqlSagaStore(PostgresEventStoreConfig(dsn=dsn), provider=pool)      # PostgreSQL
    store = SqlSagaStore("postgresql://app@db/app")                            # a URL
    store = SqlSagaStore("sqlite:///var/lib/app/app.db")                        # a SQLite file URL

The backend classes (``SqliteSagaStore``, ``PostgresSagaStore``) live with their stores; this
class only chooses one and forwards every call to it, so ``SqlSagaStore`` is the one name to
remember. The table is ``sagas_table`` of the config (``sagas`` by default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.workflow.records import SagaRecord
from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig

if TYPE_CHECKING:
    from lexigram.contracts.workflow.stores import SagaStoreProtocol

__all__ = ["SqlSagaStore"]

_SQLITE_PREFIX = "sqlite:///"
_POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def _config_from_url(url: str) -> SqliteConfig | PostgresEventStoreConfig:
    if url.startswith(_POSTGRES_PREFIXES):
        return PostgresEventStoreConfig(dsn=url)
    if url.startswith(_SQLITE_PREFIX) and len(url) > len(_SQLITE_PREFIX):
        return SqliteConfig(database=url[len(_SQLITE_PREFIX) :])
    raise ConfigurationError(
        "SqlSagaStore takes a SqliteConfig, a PostgresEventStoreConfig or a URL starting with "
        f"postgresql://, postgres:// or sqlite:/// (sqlite:///path/to/file.db), got {url[:12]!r}..."
    )


class SqlSagaStore:
    """Saga instances in SQLite or PostgreSQL, with a version check on every save.

    ``config`` is a ``SqliteConfig``, a ``PostgresEventStoreConfig`` or a URL. ``provider`` is for
    PostgreSQL: a ``PostgresPool`` to share (``event_store.pool``) or an ``asyncpg.Pool`` to borrow;
    None opens the store's own connection or pool. ``connect()`` creates the table with
    ``auto_create_tables`` (the default); the first operation connects too.
    """

    def __init__(self, config: SqliteConfig | PostgresEventStoreConfig | str, provider: Any = None) -> None:
        if isinstance(config, str):
            config = _config_from_url(config)
        backend: Any
        if isinstance(config, SqliteConfig):
            from lexigram.events.stores.sqlite.saga_store import SqliteSagaStore

            backend = SqliteSagaStore(config, provider)
        elif isinstance(config, PostgresEventStoreConfig):
            from lexigram.events.stores.postgres.saga_store import PostgresSagaStore

            backend = PostgresSagaStore(config, provider)
        else:
            raise ConfigurationError(
                "SqlSagaStore takes a SqliteConfig, a PostgresEventStoreConfig or a URL, got "
                f"{type(config).__name__}"
            )
        self.config = config
        self.backend = backend
        """The backend store (``SqliteSagaStore`` or ``PostgresSagaStore``)."""

    async def connect(self) -> None:
        """Open the connection and, with ``auto_create_tables``, create or upgrade the table."""
        await self.backend.connect()

    async def migrate(self) -> list[int]:
        """Apply pending schema migrations; return the versions applied now."""
        applied: list[int] = await self.backend.migrate()
        return applied

    async def schema_version(self) -> int:
        """The saga table's schema version in the database (0: not initialised)."""
        version: int = await self.backend.schema_version()
        return version

    @property
    def latest_schema_version(self) -> int:
        """The schema version this code brings a database to."""
        latest: int = self.backend.latest_schema_version
        return latest

    async def close(self) -> None:
        """Release the connection or pool. Idempotent."""
        await self.backend.close()

    async def create(self, record: SagaRecord) -> SagaRecord:
        """Store a new instance as version 1 and return it."""
        created: SagaRecord = await self.backend.create(record)
        return created

    async def save(self, record: SagaRecord, expected_version: int) -> SagaRecord:
        """Replace the instance if it is still at ``expected_version``; return it at the next version."""
        saved: SagaRecord = await self.backend.save(record, expected_version)
        return saved

    async def get(self, saga_id: str) -> SagaRecord | None:
        """The instance with this id, or None."""
        found: SagaRecord | None = await self.backend.get(saga_id)
        return found

    async def find(self, saga_type: str, correlation_key: str) -> SagaRecord | None:
        """The instance of ``saga_type`` with this correlation key, or None."""
        found: SagaRecord | None = await self.backend.find(saga_type, correlation_key)
        return found

    async def list_incomplete(self) -> list[SagaRecord]:
        """Every instance not in a final state, oldest first."""
        records: list[SagaRecord] = await self.backend.list_incomplete()
        return records

    async def delete(self, saga_id: str) -> bool:
        """Forget an instance; True when it existed."""
        deleted: bool = await self.backend.delete(saga_id)
        return deleted

    def __repr__(self) -> str:
        return f"SqlSagaStore({type(self.backend).__name__})"


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: SqlSagaStore) -> SagaStoreProtocol:
        return store
