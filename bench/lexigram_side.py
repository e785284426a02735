"""The measured side: lexigram's own stores, through their public API.

SQLite: ``SqliteEventStore`` and ``SqliteSnapshotStore`` on a fresh file with the default config
(WAL, ``synchronous=NORMAL``). PostgreSQL: ``PostgresEventStore`` and ``PostgresSnapshotStore``
sharing one ``PostgresPool`` whose size is fixed up front (``pool_min_size = pool_max_size``), so
no connection is opened while timing.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from bench.common import LEXIGRAM
from bench.context import POSTGRES, BenchContext
from bench.raw_postgres import drop_tables
from bench.raw_postgres import stored_rows as pg_stored_rows
from bench.raw_sqlite import stored_rows as sqlite_stored_rows
from bench.sides import Conflict, Planned
from lexigram.events import (
    PostgresEventStore,
    PostgresEventStoreConfig,
    PostgresPool,
    PostgresSnapshotStore,
    SqliteConfig,
    SqliteEventStore,
    SqliteSnapshotStore,
)
from lexigram.events.exceptions import ConcurrencyError


class LexigramSide:
    """Our event store (and snapshot store) on one backend, in fresh tables or a fresh file."""

    subject = LEXIGRAM

    def __init__(self, context: BenchContext, backend: str, tag: str, connections: int = 1) -> None:
        self.backend = backend
        self.tag = tag
        self.store: SqliteEventStore | PostgresEventStore
        self.snapshots: SqliteSnapshotStore | PostgresSnapshotStore
        if backend == POSTGRES:
            assert context.pg is not None
            self.dsn = context.pg.dsn
            config = PostgresEventStoreConfig(
                dsn=self.dsn,
                events_table=tag,
                snapshots_table=f"{tag}_snapshots",
                pool_min_size=connections,
                pool_max_size=connections,
            )
            pool = PostgresPool(config)
            self.store = PostgresEventStore(config, provider=pool)
            self.snapshots = PostgresSnapshotStore(config, provider=pool)
        else:
            self.path = context.sqlite_file(tag)
            sqlite_config = SqliteConfig(database=self.path)
            self.store = SqliteEventStore(sqlite_config)
            self.snapshots = SqliteSnapshotStore(sqlite_config)

    async def open(self) -> None:
        """Connect both stores (creating their tables)."""
        await self.store.connect()
        await self.snapshots.connect()

    async def close(self) -> None:
        """Close the stores; on PostgreSQL drop their tables."""
        await self.snapshots.close()
        await self.store.close()
        if self.backend == POSTGRES:
            await drop_tables(self.dsn, self.tag)

    def prepare(self, appends: list[Planned]) -> list[list[Any]]:
        """The events themselves."""
        return [events for _stream, _version, events in appends]

    async def append(self, stream_id: str, items: list[Any], expected_version: int) -> None:
        """``store.append`` with ``expected_version``."""
        try:
            await self.store.append(stream_id, items, expected_version=expected_version)
        except ConcurrencyError as exc:
            raise Conflict(stream_id) from exc

    async def version(self, stream_id: str) -> int:
        """``store.get_stream_version``."""
        return await self.store.get_stream_version(stream_id)

    async def read_stream(self, stream_id: str) -> list[Any]:
        """``store.read``: typed events."""
        return await self.store.read(stream_id)

    async def read_all(self, batch_size: int) -> int:
        """``store.stream_all(0, batch_size)`` to the end."""
        count = 0
        async for _event in self.store.stream_all(0, batch_size=batch_size):
            count += 1
        return count

    async def stored(self) -> list[tuple[str, int, str]]:
        """Every event row, read with SQL straight from the store's tables."""
        if self.backend == POSTGRES:
            import asyncpg

            connection = await asyncpg.connect(self.dsn)
            try:
                return await pg_stored_rows(connection, self.tag)
            finally:
                await connection.close()
        with closing(sqlite3.connect(self.path)) as connection:
            return sqlite_stored_rows(connection, "events")
