"""``StoreLink``: what the PostgreSQL event, snapshot and checkpoint stores share about their database.

A store holds one link. It opens (or borrows) the pool, applies the store's migrations when
``auto_create_tables`` is on, connects lazily on the first operation, and lends connections with
driver errors translated into the events exceptions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import EventStoreConnectionError
from lexigram.events.stores.postgres.driver import ConnectionLike, failures
from lexigram.events.stores.postgres.migrator import Migrator
from lexigram.events.stores.postgres.pool import PostgresPool

__all__ = ["MINIMUM_SERVER_VERSION", "StoreLink", "pool_for"]

MINIMUM_SERVER_VERSION = 13
"""The oldest PostgreSQL release with ``pg_current_xact_id()`` and ``pg_snapshot_xmin()``."""


def pool_for(config: PostgresEventStoreConfig, provider: Any) -> PostgresPool:
    """The pool a store uses: its own (no provider), a shared ``PostgresPool``, or a borrowed asyncpg pool."""
    if isinstance(provider, PostgresPool):
        return provider
    if provider is None:
        return PostgresPool(config)
    if callable(getattr(provider, "acquire", None)):
        return PostgresPool(config, borrowed=provider)
    raise TypeError(
        f"provider must be an asyncpg pool or a PostgresPool, got {type(provider).__name__}; "
        "pass None to let the store open its own pool from config.dsn"
    )


class StoreLink:
    """One store's connection to PostgreSQL: pool, migrations and error translation."""

    def __init__(
        self, store_name: str, config: PostgresEventStoreConfig, pool: PostgresPool, migrator: Migrator
    ) -> None:
        self.store_name = store_name
        self.config = config
        self.pool = pool
        self.migrator = migrator
        self.missing_table_hint = (
            f"Create the tables: run `lexigram-events db init`, call `await store.migrate()`, or set "
            f"auto_create_tables=True (it is {config.auto_create_tables})"
        )
        self._attached = False
        self._ready = False
        self._closed = False
        self._lock = asyncio.Lock()

    @property
    def driver(self) -> Any:
        """The asyncpg module."""
        return self.pool.driver

    async def connect(self) -> None:
        """Open (or join) the pool and, with ``auto_create_tables``, bring the schema up to date."""
        async with self._lock:
            if self._ready:
                return
            await self._attach()
            await self._check_server()
            if self.config.auto_create_tables:
                await self._run_migrations()
            else:
                async with (
                    self.pool.connection() as connection,
                    self.failures("read the schema version", writing=False),
                ):
                    version = await self.migrator.schema_version(connection)
                self.migrator.check_current(version)
            self._ready = True

    async def close(self) -> None:
        """Leave the pool (closing it when this store opened it and is its last user). Idempotent."""
        async with self._lock:
            self._closed = True
            self._ready = False
            if self._attached:
                self._attached = False
                await self.pool.detach()

    async def migrate(self) -> list[int]:
        """Apply pending migrations whatever ``auto_create_tables`` says; return the versions applied."""
        async with self._lock:
            await self._attach()
            applied = await self._run_migrations()
            self._ready = True
            return applied

    async def schema_version(self) -> int:
        """The newest migration applied to the database, 0 when none."""
        async with self._lock:
            await self._attach()
        async with (
            self.pool.connection() as connection,
            self.failures("read the schema version", writing=False),
        ):
            return await self.migrator.schema_version(connection)

    async def ensure_connected(self) -> None:
        """Connect now unless connected (refused once ``close()`` was called: ``connect()`` reopens)."""
        if not self._ready:
            await self._connect_implicitly()

    @asynccontextmanager
    async def connection(self, action: str, *, writing: bool) -> AsyncIterator[ConnectionLike]:
        """Borrow a connection, connecting first if needed, with errors translated for ``action``."""
        if not self._ready:
            await self._connect_implicitly()
        async with (
            self.pool.connection() as connection,
            self.failures(action, writing=writing),
        ):
            yield connection

    def failures(self, action: str, *, writing: bool) -> Any:
        """Translate driver errors raised in the block (for work on a caller's connection)."""
        return failures(
            self.driver,
            self.pool.server,
            action,
            writing=writing,
            command_timeout=self.pool.command_timeout,
            missing_table_hint=self.missing_table_hint,
        )

    async def _connect_implicitly(self) -> None:
        if self._closed:
            raise EventStoreConnectionError(
                f"this {self.store_name} is closed; call `await store.connect()` to open it again"
            )
        await self.connect()

    async def _attach(self) -> None:
        if not self._attached:
            await self.pool.attach()
            self._attached = True
            self._closed = False

    async def _check_server(self) -> None:
        async with self.pool.connection() as connection:
            version = connection.get_server_version()
        if version.major < MINIMUM_SERVER_VERSION:
            raise ConfigurationError(
                f"PostgreSQL at {self.pool.server} is version {version.major}; the PostgreSQL stores need "
                f"{MINIMUM_SERVER_VERSION} or newer (for pg_current_xact_id and pg_snapshot_xmin)"
            )

    async def _run_migrations(self) -> list[int]:
        async with (
            self.pool.connection() as connection,
            self.failures(f"create or upgrade the {self.store_name} tables", writing=True),
        ):
            return await self.migrator.migrate(connection)
